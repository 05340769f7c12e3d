"""Analog-regulation review (アナログ規制の点検): find, classify and rank candidate clauses.

Loaders split e-Gov law XML, Reiki-Base 例規集 HTML and plain text into 項 clauses keyed like
the Digital Agency's 工程表; a character n-gram classifier trained on the embedded labelled set
(``data/labelled_clauses.csv.gz``) scores the seven labelled categories, FD等記録媒体 is found by
rule, and the review list goes to an Excel workbook for staff.
"""
