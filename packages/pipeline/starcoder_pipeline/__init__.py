"""The whole StarCoder recipe as one pipeline.

Curate, redact PII, train the tokenizer, tokenize, pretrain, evaluate, index
and serve: each stage is one of the project's jobs, run with the arguments a
preset gives it. This package knows the stages, decides which of them must run
again (their inputs changed) and reads their artifacts back for the summary
and the model card; ``ray_jobs/pipeline.py`` runs it on Ray.
"""
