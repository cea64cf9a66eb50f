"""The ask-the-data question bank: questions with gold specs (dev.py, kept.py) and the pandas gold engine
(gold.py) that answers the specs from the CSV files, independently of the answerer's SQL."""
