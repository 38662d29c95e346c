"""The domain layer every process shares: Vietnamese text, procedure retrieval and the
answer/ask decision, the content base, the records store, report figures, privacy masking and
settings. It imports nothing of nlu/, actions/, connectors/ or the trolyao command.
"""
