"""Medical knowledge graph: schema, stores (embedded LadybugDB, Neo4j), importer, Cypher questions."""
from kg_queries.questions import QUESTION_TYPES, Answer, DiseaseMatch, KnowledgeGraph
from kg_queries.store import GraphStore, KGUnavailableError, open_store

__all__ = ["QUESTION_TYPES", "Answer", "DiseaseMatch", "KnowledgeGraph", "GraphStore",
           "KGUnavailableError", "open_store"]
