"""The Rasa components of the pipeline in config.yml: thin adapters over the domain layer (tthc).

    nlu.rasa_tokenizer.UnderTheSeaTokenizer      underthesea word segmentation
    nlu.rasa_classifier                          the intent classifier
    nlu.rasa_intent_resolver                     intent fix-ups from procedure retrieval
"""
