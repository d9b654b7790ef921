"""Online-gambling promotion: folding for matching, a line classifier, the ``gambling`` stage and the
corpus stage ``gambling_hosts`` (link farms)."""
