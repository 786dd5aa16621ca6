"""The search index: jieba analysis into Whoosh, derived from the store."""
