"""Correct bodies of HumanEval/56 (``correct_bracketing``) in MultiPL-E's C++ and Java prompts."""

CPP_SOLUTION = (
    "    int depth = 0;\n    for (char c : brackets) {\n        depth += c == '<' ? 1 : -1;\n"
    "        if (depth < 0) return false;\n    }\n    return depth == 0;\n"
)
JAVA_SOLUTION = (
    "        int depth = 0;\n        for (char c : brackets.toCharArray()) {\n"
    "            depth += c == '<' ? 1 : -1;\n            if (depth < 0) return false;\n"
    "        }\n        return depth == 0;\n"
)
