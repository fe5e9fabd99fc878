// cure_rate: Disease.cured_prob
MATCH (d:Disease {name: $disease})
RETURN d.name AS disease, d.cured_prob AS cured_prob
