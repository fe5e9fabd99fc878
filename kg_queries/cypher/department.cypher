// department: Disease-[:cure_department]->Department, with the parent department
MATCH (d:Disease {name: $disease})
OPTIONAL MATCH (d)-[:cure_department]->(dep:Department)
OPTIONAL MATCH (dep)-[:belongs_to]->(parent:Department)
RETURN d.name AS disease, collect(dep.name) AS departments, collect(parent.name) AS parent_departments
