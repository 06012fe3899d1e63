"""StarCoder's special tokens, in the order that gives them ids 0..18.

The order is part of the model's contract: StarCoder checkpoints, the FIM
transform and the serve app's infilling prompt all address these tokens by id,
so the tokenizer trainer must add them first and in exactly this order.
"""

ENDOFTEXT = "<|endoftext|>"
FIM_PREFIX = "<fim_prefix>"
FIM_MIDDLE = "<fim_middle>"
FIM_SUFFIX = "<fim_suffix>"
FIM_PAD = "<fim_pad>"
FILENAME = "<filename>"
GH_STARS = "<gh_stars>"
ISSUE_START = "<issue_start>"
ISSUE_COMMENT = "<issue_comment>"
ISSUE_CLOSED = "<issue_closed>"
JUPYTER_START = "<jupyter_start>"
JUPYTER_TEXT = "<jupyter_text>"
JUPYTER_CODE = "<jupyter_code>"
JUPYTER_OUTPUT = "<jupyter_output>"
EMPTY_OUTPUT = "<empty_output>"
COMMIT_BEFORE = "<commit_before>"
COMMIT_MSG = "<commit_msg>"
COMMIT_AFTER = "<commit_after>"
REPONAME = "<reponame>"

SPECIAL_TOKENS: tuple[str, ...] = (
    ENDOFTEXT,
    FIM_PREFIX,
    FIM_MIDDLE,
    FIM_SUFFIX,
    FIM_PAD,
    FILENAME,
    GH_STARS,
    ISSUE_START,
    ISSUE_COMMENT,
    ISSUE_CLOSED,
    JUPYTER_START,
    JUPYTER_TEXT,
    JUPYTER_CODE,
    JUPYTER_OUTPUT,
    EMPTY_OUTPUT,
    COMMIT_BEFORE,
    COMMIT_MSG,
    COMMIT_AFTER,
    REPONAME,
)
