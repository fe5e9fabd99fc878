// treatment: Disease.cure_way plus common and recommended drugs
MATCH (d:Disease {name: $disease})
OPTIONAL MATCH (d)-[:has_common_drug]->(c:Drug)
WITH d, collect(c.name) AS common_drugs
OPTIONAL MATCH (d)-[:recommand_drug]->(r:Drug)
RETURN d.name AS disease, d.cure_way AS cure_way, common_drugs, collect(r.name) AS recommand_drugs
