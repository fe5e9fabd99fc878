// symptom: Disease-[:has_symptom]->Symptom
MATCH (d:Disease {name: $disease})
OPTIONAL MATCH (d)-[:has_symptom]->(s:Symptom)
RETURN d.name AS disease, collect(s.name) AS symptoms
