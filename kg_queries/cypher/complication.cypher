// complication: diseases that accompany it, Disease-[:acompany_with]->Disease
MATCH (d:Disease {name: $disease})
OPTIONAL MATCH (d)-[:acompany_with]->(c:Disease)
RETURN d.name AS disease, collect(c.name) AS complications
