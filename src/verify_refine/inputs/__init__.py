"""The readers: policy JSON with positions (the only Lark user), AWS wrappers and
recommendations, findings, the action catalog, account dumps; each refuses what it cannot read
exactly, with file:line:column."""
