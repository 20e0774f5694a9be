"""Analysis settings that the methods text quotes, and where the project lives: one place each."""

from pathlib import Path

# The package and the project folder around it (notebooks/, report/, requirements.lock); the
# step keys hash the package source, and papermill runs every notebook from the project folder.
PACKAGE = Path(__file__).resolve().parent
PROJECT = PACKAGE.parent

# Years are 365.25 days and months a twelfth of that, in every derived duration, figure axis and
# summary (the data dictionary says so).
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12

# Boschloo's exact test enumerates every table with the observed margins at 32 values of the
# nuisance parameter; time and memory grow with n1 * n2 (about 95 s at 2,500 per cohort on a
# 2-core machine). This study has about 25 per cohort; beyond this product (e.g. 500 x 500, only
# synthetic benchmark cuts) the test is reported as not computed.
BOSCHLOO_MAX_TABLES = 250_000

# A swimmer plot with one row per participant is readable up to about this many per cohort;
# larger (synthetic) cuts show the first ones by identifier, and the caption says so.
SWIMMER_MAX_ROWS = 40  # rows per cohort: 40 rows of 9 pt labels fit an A4 page with the caption
# Above this many positive draws the MTM plot no longer draws one point per draw (unreadable, and
# 200,000 vector points made an 8 MB SVG that a browser could hardly open) nor a picture of them
# inside the SVG (the report's figures are vector): each cohort's draws become a histogram of
# MTM/mL in bins of 1/MTM_BINS_PER_DECADE of a power of ten, a few hundred vector edges at any n.
MTM_MAX_POINTS = 5000
MTM_BINS_PER_DECADE = 10
