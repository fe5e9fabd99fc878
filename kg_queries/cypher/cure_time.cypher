// cure_time: Disease.cure_lasttime
MATCH (d:Disease {name: $disease})
RETURN d.name AS disease, d.cure_lasttime AS cure_lasttime
