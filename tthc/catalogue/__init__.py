"""The official procedure catalogue (national portal records), imported into content/catalogue/.
"""
