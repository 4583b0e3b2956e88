"""PEP 691 content negotiation in nginx maps: which page format ($simple_format, html or
json) a request's Accept header asks for, q-values included (RFC 9110, 12.4.2 and 12.5.1).

JSON is served when the JSON type (v1 or latest) is acceptable (q > 0) and preferred: its q
above HTML's, or equal and JSON named first. HTML's q is that of the first HTML type named
(text/html, or the v1/latest HTML type), else that of */*; HTML is also the format for
everything else (no Accept, */*, a broken header), as pip and browsers expect.

nginx cannot compare numbers, so each q-value becomes a digit string whose first four digits
order like the number (q=1 -> 1000, q=0.5 -> 05000, q=0.25 -> 025000, absent -> 0000), and
the comparison is a regular expression over "json:html:first": equal up to a first differing
digit among the first four, JSON's digit there the larger.
"""

from __future__ import annotations

JSON_TYPE = r"application/vnd\.pypi\.simple\.(?:v1|latest)\+json"
HTML_TYPE = r"text/html|application/vnd\.pypi\.simple\.(?:v1|latest)\+html"
ANY_TYPE = r"\*/\*"

# A digit among the first four of JSON's q larger than HTML's, after an equal prefix.
_LARGER = "|".join(rf"{d}\d*:\k<p>[0-{d - 1}]" for d in range(1, 10))


def _q(media_type: str, capture: str) -> str:
    """The map lines giving a named media type's q as digits (first match wins)."""
    named = rf"(?:^|,)\s*(?:{media_type})\s*"
    other_params = r"(?:;\s*[^q\s;,][^;,]*)*"
    return (
        f'        "~*{named}{other_params};\\s*q=0\\.?(?<{capture}>\\d*)" 0${{{capture}}}000;\n'
        f'        "~*{named}(?:[,;]|$)" 1000;'
    )


def accept_maps() -> str:
    """The maps that set $simple_format (nginx's http block)."""
    return rf"""    map $http_accept $accept_json_q {{
        default 0000;
{_q(JSON_TYPE, "jq")}
    }}
    map $http_accept $accept_html_q {{
        default 0000;
{_q(HTML_TYPE, "hq")}
{_q(ANY_TYPE, "aq")}
    }}
    map $http_accept $accept_json_first {{
        default 0;
        "~*^(?:(?!text/html|\+html).)*{JSON_TYPE}" 1;
    }}
    map "$accept_json_q:$accept_html_q:$accept_json_first" $simple_format {{
        default html;
        "~^0000" html;
        "~^(?<t>\d{{4}})\d*:\k<t>\d*:1$" json;
        "~^(?<p>\d{{0,3}})(?:{_LARGER})" json;
    }}"""
