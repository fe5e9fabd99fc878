// cause: why the disease happens (Disease.cause)
MATCH (d:Disease {name: $disease})
RETURN d.name AS disease, d.cause AS cause
