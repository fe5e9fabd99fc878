"""Medical knowledge graph: schema, stores (embedded LadybugDB, Neo4j), importer, Cypher questions.

The package itself imports nothing, so ``kg_queries.schema`` (which ``core`` reads) comes
without the stores. Import from the modules:

- :mod:`kg_queries.schema`: labels, relations, properties (imports nothing);
- :mod:`kg_queries.store`: the store interface (:class:`GraphStore`), its errors
  (:class:`KGUnavailableError`, :class:`KGImportError`, :class:`KGWriteRefused`) and
  :class:`ImportReport`;
- :mod:`kg_queries.embedded_store`, :mod:`kg_queries.neo4j_store`: the two stores;
- :mod:`kg_queries.factory`: :func:`open_store` and :func:`load_kg_settings`;
- :mod:`kg_queries.questions`: :class:`KnowledgeGraph`, ``QUESTION_TYPES``, ``Answer``;
- :mod:`kg_queries.guard`, :mod:`kg_queries.importer`, :mod:`kg_queries.check`: the guard
  of the action server, the import of record files, the consistency check;
- :mod:`kg_queries.records`, :mod:`kg_queries.writing`: record parsing and the Cypher
  both stores write with.
"""
