// taboo: foods to avoid (not_eat), and as advice foods to eat (do_eat) and recipes
MATCH (d:Disease {name: $disease})
OPTIONAL MATCH (d)-[:not_eat]->(n:Food)
WITH d, collect(n.name) AS not_eat
OPTIONAL MATCH (d)-[:do_eat]->(g:Food)
WITH d, not_eat, collect(g.name) AS do_eat
OPTIONAL MATCH (d)-[:recommand_recipes]->(r:Food)
RETURN d.name AS disease, not_eat, do_eat, collect(r.name) AS recipes
