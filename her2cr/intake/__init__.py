"""Intake (issue 17): a REDCap-style EDC export and the laboratory's result file, mapped to the data
contract (../shared/spec/study-data.md) by a checked mapping file. The stage before notebook 01.

`her2cr intake --export DIR --mapping FILE --cut CUT --out RAWDIR` (see run.intake) and
`her2cr intake --draft-mapping --export DIR` (see draft.draft_mapping).
"""
