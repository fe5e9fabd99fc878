// definition: what the disease is (Disease.desc)
MATCH (d:Disease {name: $disease})
RETURN d.name AS disease, d.`desc` AS description
