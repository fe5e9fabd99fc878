// check: examinations, Disease-[:need_check]->Check
MATCH (d:Disease {name: $disease})
OPTIONAL MATCH (d)-[:need_check]->(c:Check)
RETURN d.name AS disease, collect(c.name) AS checks
