// symptoms -> diseases: ranked by how many of the given symptoms they have
MATCH (d:Disease)-[:has_symptom]->(s:Symptom)
WHERE s.name IN $symptoms
WITH d, count(s) AS hits, collect(s.name) AS matched
OPTIONAL MATCH (d)-[:cure_department]->(dep:Department)
RETURN d.name AS disease, hits, matched, collect(dep.name) AS departments
ORDER BY hits DESC, disease ASC
LIMIT $limit
