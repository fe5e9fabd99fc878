// prevention: how to prevent it (Disease.prevent)
MATCH (d:Disease {name: $disease})
RETURN d.name AS disease, d.prevent AS prevent
