"""Fixed facts of the HER2 CR study, from its registry record (NCT06663787) and the data contract.

One place for titles, cohorts and sites, so that tables, the report and the ClinicalTrials.gov
files all use the same words.
"""

NCT_ID = "NCT06663787"
ORG_STUDY_ID = "HER2 CR"
SECONDARY_ID = "80-24-0057"
BRIEF_TITLE = (
    "Personalized Detection of ctDNA for Patients With HER2-Positive Metastatic Breast Cancer "
    "Who Achieved Durable Response by Anti-HER2 Treatment (HER2 CR)"
)
SHORT_TITLE = "HER2 CR"
SPONSOR = "Nagoya City University"
PRINCIPAL_INVESTIGATOR = "Kazuki Nozawa, MD"
STUDY_START = "2024-04-01"
PRIMARY_COMPLETION = "2025-12-31"
TARGET_ENROLLMENT = 50

# Cohort keys as in the raw data, in display order; titles and descriptions as registered.
COHORTS = ("continuing", "stopped")
COHORT_TITLES = {
    "continuing": "Continuing anti-HER2 treatment",
    # registered as "Follow up (...)"; written with the noun's hyphen (issue 18)
    "stopped": "Follow-up (stop anti-HER2 treatment)",
}
COHORT_SHORT = {"continuing": "Continuing", "stopped": "Stopped", "overall": "Overall"}
COHORT_DESCRIPTIONS = {
    "continuing": (
        "Breast cancer patients who are continuing complete response (CR) or partial response (PR) "
        "for more than two years of anti-HER2 treatment (trastuzumab, pertuzumab, T-DM1, and T-DXd). "
        "Signatera ctDNA testing."
    ),
    "stopped": (
        "Breast cancer patients who stopped anti-HER2 treatment with complete response (CR) or "
        "partial response (PR) after more than two years of anti-HER2 treatment (trastuzumab, "
        "pertuzumab, T-DM1, and T-DXd). Signatera ctDNA testing."
    ),
}
OVERALL = "overall"

SITES = {
    "NCU": "Nagoya City University",
    "ACC": "Aichi Cancer Center",
    "JFCR": "Cancer Institute Hospital of JFCR",
}
SITE_COUNTRY = {"NCU": "Japan", "ACC": "Japan", "JFCR": "Japan"}

# Signatera positivity rule (Natera): a sample is ctDNA-positive when at least this many of the
# tracked patient-specific variants are detected.
POSITIVITY_MIN_VARIANTS = 2

# How a synthetic cut is marked wherever its numbers appear: the label (PDF footer, title), the
# short warning (PDF header, HTML banner) and the full warning (report summary and banner).
SYNTHETIC_LABEL = "SYNTHETIC DATA"
SYNTHETIC_SHORT = f"{SYNTHETIC_LABEL}: not study results"
SYNTHETIC_WARNING = (
    f"{SYNTHETIC_LABEL}: this report was made from a synthetic data cut that the project generates "
    "to build and test the pipeline. Its numbers are not study results and must not be cited."
)
