// infectivity: how it spreads (get_way), who gets it (easy_get), how common (get_prob)
MATCH (d:Disease {name: $disease})
RETURN d.name AS disease, d.get_way AS get_way, d.easy_get AS easy_get, d.get_prob AS get_prob
