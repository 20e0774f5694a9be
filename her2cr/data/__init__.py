"""Stage 01, the data (notebook 01_clean): from the raw cut to the analysis datasets.

The raw-data contract (`contract`), reading (`rawio`), validation and cut-off (`validate`),
derivation (`derive`), data issues (`issues`), where a value of a cut taken in by the intake came
from in the export (`sources`), participant flow (`flow`), data dictionary (`dictionary`), cut
information (`cutinfo`), the synthetic generator (`synth`), and `clean`, which runs them in order
for the notebook.
"""

from her2cr.data.clean import CleanCut, clean_cut, write_clean_outputs
from her2cr.data.cutinfo import read_cut_info, write_cut_info, write_synthetic_marker
from her2cr.data.derive import analysis_datasets
from her2cr.data.flow import flow_wide, participant_flow
from her2cr.data.issues import DataIssue, InputError, counts_by_rule
from her2cr.data.synth import generate, write_cut
from her2cr.data.validate import validate_cut

__all__ = [
    "CleanCut", "DataIssue", "InputError", "analysis_datasets", "clean_cut", "counts_by_rule",
    "flow_wide", "generate", "participant_flow", "read_cut_info", "validate_cut",
    "write_clean_outputs", "write_cut", "write_cut_info", "write_synthetic_marker",
]
