// names: every node of one schema label with its aliases ({label} comes from the schema whitelist)
MATCH (n:{label})
RETURN n.name AS name, n.alias AS alias
