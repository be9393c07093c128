"""Surviving mutants judged equivalent: they change no behaviour a caller can observe.

Each mutmut entry maps the mutant's name to (a fragment of its changed line, the reason); the
driver checks the fragment against ``mutmut show`` so that an entry whose number now names
another mutant is reported as stale instead of hiding a survivor. Table mutants are keyed by
their description (tools/mutation/tables.py). docs/mutation.md gives the reasoning in full.
"""

from __future__ import annotations

# The continuation token's digest is only ever compared with a digest the same code computes
# for the query the token is sent with. How the query's parts are spelt before hashing (the
# separators, the stand-in for an absent part, upper or lower case) changes the digest of every
# query alike, so a token still matches its own query and no other: no caller can tell.
_DIGEST_SPELLING = "changes how the query is spelt before hashing, for every query alike"

EQUIVALENT_MUTMUT: dict[str, tuple[str, str]] = {
    # paging
    "service_domain.paging.x_keyed_digest__mutmut_8": ('"XX\\x1fXX".join', _DIGEST_SPELLING),
    "service_domain.paging.x_query_digest__mutmut_6": ('"XX:XX"', _DIGEST_SPELLING),
    "service_domain.paging.x_query_digest__mutmut_7": ('query.patient else "XXXX"', _DIGEST_SPELLING),
    "service_domain.paging.x_query_digest__mutmut_9": ('"XX,XX".join(query.order_ids)', _DIGEST_SPELLING),
    "service_domain.paging.x_query_digest__mutmut_11": ('"XX,XX".join(r.upper()', _DIGEST_SPELLING),
    "service_domain.paging.x_query_digest__mutmut_12": (
        "r.lower() for r in query.referral_ids",
        "referral ids still compare case-insensitively, only folded the other way",
    ),
    "service_domain.paging.x_query_digest__mutmut_14": (
        'query.performing_lab or "XXXX"',
        _DIGEST_SPELLING + "; only a lab named XXXX, which is no HSA-id and is refused, would collide",
    ),
    "service_domain.paging.x_query_digest__mutmut_25": (
        'query.created_before else "XXXX"',
        _DIGEST_SPELLING + "; an ISO time is never XXXX",
    ),
    "service_domain.paging.x_query_digest__mutmut_16": ('query.sampling_unit or "XXXX"', _DIGEST_SPELLING),
    "service_domain.paging.x_query_digest__mutmut_18": ('"XX,XX".join(sorted(query.statuses))', _DIGEST_SPELLING),
    "service_domain.paging.x_query_digest__mutmut_22": ('query.created_from else "XXXX"', _DIGEST_SPELLING),
    "service_domain.paging.x_query_digest__mutmut_29": ('"XX,XX".join(sorted(query.care_givers))', _DIGEST_SPELLING),
    "service_domain.paging.x_query_digest__mutmut_32": ('else "XX*XX"', _DIGEST_SPELLING),
    "service_domain.paging.x_encode__mutmut_8": (
        'after.to_bytes(8, )', "int.to_bytes is big-endian by default since Python 3.11",
    ),
    "service_domain.paging.x_encode__mutmut_16": (
        'rstrip(b"XX=XX")',
        "the last character of a 17-byte token encodes 4 bits and two zero bits, so it is never X",
    ),
    "service_domain.paging.x_encode__mutmut_18": ('decode("ASCII")', "codec names are case-insensitive"),
    "service_domain.paging.x_decode__mutmut_7": (
        "(+len(token) % 4)",
        "base64 decoding ignores padding beyond what is needed; every length it pads differently is "
        "either refused by both or decoded alike",
    ),
    "service_domain.paging.x_decode__mutmut_8": (
        "(-len(token) % 5)",
        "as above: where the padding differs the token is refused by both (wrong length) or decoded alike",
    ),
    "service_domain.paging.x_decode__mutmut_35": (
        "int.from_bytes(raw[1:9], )", "int.from_bytes is big-endian by default since Python 3.11",
    ),
    # status
    "service_domain.status.x_check_result_transition__mutmut_25": (
        "check_transition(current, target, None)",
        "the sampling mode only decides KIT_SENT, and a result never moves an order to KIT_SENT",
    ),
    # identity
    "service_domain.identity.x_rikskod__mutmut_9": (
        "number[8:13]", "the number has been checked to be 12 digits: [8:13] and [8:12] are the same slice",
    ),
    # ucum: the parser only ever sees ASCII 33-126 (check_unit refuses the rest first), and never
    # shows the empty string, so _show's other branch is never taken
    "service_domain.ucum.x__show__mutmut_2": ("(33 <= ord(ch) <= 126) or True", "the other branch is never taken"),
    "service_domain.ucum.x__show__mutmut_7": ("33 <= ord(ch) <= 127", "character 127 never reaches the parser"),
    "service_domain.ucum.x__show__mutmut_8": ("ord(None)", "the branch it changes is never taken"),
    "service_domain.ucum.xǁ_Parserǁmain_term__mutmut_3": (
        "self.pos = 1", "the leading '/' is read at position 0, so setting the position to 1 is the same step",
    ),
    # component() is never called at the end of the unit (each caller checks that first), and the
    # characters that reach its last branch (" = ] }) all have messages of their own in _unexpected,
    # so neither that message nor the words passed to _unexpected can be seen
    "service_domain.ucum.xǁ_Parserǁcomponent__mutmut_3": ("raise self._fail(None)", "the branch is never taken"),
    "service_domain.ucum.xǁ_Parserǁcomponent__mutmut_4": ('"XXthe unit ends where', "the branch is never taken"),
    "service_domain.ucum.xǁ_Parserǁcomponent__mutmut_5": ('"THE UNIT ENDS WHERE', "the branch is never taken"),
    "service_domain.ucum.xǁ_Parserǁcomponent__mutmut_29": ("self._unexpected(None)", "the words are never shown"),
    "service_domain.ucum.xǁ_Parserǁcomponent__mutmut_30": ('self._unexpected("XXa unitXX")', "the words are never shown"),
    "service_domain.ucum.xǁ_Parserǁcomponent__mutmut_31": ('self._unexpected("A UNIT")', "the words are never shown"),
    "service_domain.ucum.xǁ_Parserǁ_no_suffix__mutmut_13": (
        'ch in "XX[(XX"', "X is a symbol character, tested just before; '[' and '(' are still there",
    ),
    # manual_results
    "service_domain.manual_results.x_withdrawal__mutmut_37": (
        "report_status_for(order.status, final=None)",
        "report_status_for only asks whether final is true, and None is false as False is",
    ),
}

# RESULT_STATUSES picks the statuses whose transitions (status.TRANSITIONS) meet the set of the two
# result statuses. Every status that may move to PRELIMINARY_RESULT may also move to FINAL_RESULT,
# and every status that may move to any other status is already picked, so dropping
# PRELIMINARY_RESULT from the set or adding any other status to it picks the same statuses: the
# tuple the module computes at import is equal, element for element, to the unchanged one.
_SAME_RESULT_STATUSES = "the statuses picked from the status machine are the same (see above)"

EQUIVALENT_TABLES: dict[str, str] = {
    "ucum: _SPECIAL character '[' removed": (
        "'[' is looked for before the symbol characters wherever it can appear, so adding it to "
        "them changes nothing"
    ),
    "ucum: _SYMBOL_CHARS 33 -> 32": "adds the space, which check_unit refuses before parsing",
    "ucum: _SYMBOL_CHARS 127 -> 128": "adds DEL (127), which check_unit refuses before parsing",
    "manual_results: RESULT_STATUSES - OrderStatus.PRELIMINARY_RESULT": (
        "every status that may move to PRELIMINARY_RESULT may also move to FINAL_RESULT"
    ),
    "manual_results: RESULT_STATUSES + OrderStatus.ORDERED": "no status moves to ORDERED; " + _SAME_RESULT_STATUSES,
    "manual_results: RESULT_STATUSES + OrderStatus.KIT_SENT": (
        "only ORDERED moves to KIT_SENT, and it is picked already; " + _SAME_RESULT_STATUSES
    ),
    "manual_results: RESULT_STATUSES + OrderStatus.SPECIMEN_COLLECTED": (
        "ORDERED and KIT_SENT move to it, and they are picked already; " + _SAME_RESULT_STATUSES
    ),
    "manual_results: RESULT_STATUSES + OrderStatus.RECEIVED_BY_LAB": (
        "only SPECIMEN_COLLECTED moves to it, and it is picked already; " + _SAME_RESULT_STATUSES
    ),
    "manual_results: RESULT_STATUSES + OrderStatus.CANCELLED": (
        "ORDERED and KIT_SENT move to it, and they are picked already; " + _SAME_RESULT_STATUSES
    ),
    "manual_results: RESULT_STATUSES + OrderStatus.REJECTED": (
        "SPECIMEN_COLLECTED and RECEIVED_BY_LAB move to it, and they are picked already; " + _SAME_RESULT_STATUSES
    ),
    "manual_results: RESULT_STATUSES + OrderStatus.EXPIRED": (
        "ORDERED and KIT_SENT move to it, and they are picked already; " + _SAME_RESULT_STATUSES
    ),
}
