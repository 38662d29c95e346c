"""The Rasa components of the pipeline in config.yml: thin adapters over the domain layer (tthc).

    nlu.rasa_tokenizer.UnderTheSeaTokenizer      underthesea word segmentation
    nlu.rasa_classifier                          the intent classifier
    nlu.rasa_intent_resolver                     intent fix-ups from procedure retrieval

and the Rasa server's state pieces (endpoints files, credentials), which fail a turn instead of
going on without the conversation when PostgreSQL or Redis blinks (issue 15):

    nlu.tracker_store.StrictSQLTrackerStore      SQL tracker store, no in-memory fallback
    nlu.lock_store.StrictRedisLockStore          Redis lock store, an outage fails before the turn
    nlu.rest_channel.RestInput                   REST channel, 503 "turn not kept" for those
"""
