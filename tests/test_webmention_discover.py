"""Webmention endpoint discovery against real servers on loopback, mirroring webmention.rocks tests 1-23.

Each `test_rocksNN_*` serves what https://webmention.rocks/test/NN serves (its Link headers and the
markup that matters) from our own loopback server, so nothing here leaves the machine.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from generator.config import NetworkSettings
from generator.errors import NetworkError
from generator.http import HttpClient
from generator.webmention.discover import discover_endpoint, endpoint_from_html, endpoint_from_link_headers
from tests.servers import LoopbackServer, Reply

HTML = ("Content-Type", "text/html; charset=utf-8")
BASE = "https://example.org/post/1"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


@pytest.fixture
def client() -> HttpClient:
    """A client that may reach loopback, where our test servers are."""
    return HttpClient(NetworkSettings(allow_private_addresses=True, timeout=5.0))


def page(head: str = "", content: str = "") -> str:
    """A trimmed webmention.rocks test page: some ordinary links in the head, the test's markup."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Webmention Rocks!</title>
  <link href="/assets/style.css" rel="stylesheet">
  <script src="/assets/script.js"></script>
  {head}
</head>
<body>
<div class="h-entry">
  <a href="/" class="p-author h-card">author</a>
  <div class="e-content">{content}</div>
  <a href="/test" class="u-url">Published</a>
</div>
</body>
</html>"""


def serve(
    server: LoopbackServer,
    path: str,
    body: str = "",
    links: Sequence[tuple[str, str]] = (),
    headers: Sequence[tuple[str, str]] = (HTML,),
    status: int = 200,
) -> str:
    """Serve `body` at `path` with the given Link (name, value) headers; return the page's URL."""
    server.route(path, Reply(status, body, [*headers, *links]))
    return server.url(path)


# --- webmention.rocks discovery tests 1-23 ------------------------------------------------------


def test_rocks01_link_header_relative_url(server: LoopbackServer, client: HttpClient) -> None:
    target = serve(server, "/test/1", page(), [("Link", "</test/1/webmention>; rel=webmention")])
    assert discover_endpoint(client, target) == server.url("/test/1/webmention")


def test_rocks02_link_header_absolute_url(server: LoopbackServer, client: HttpClient) -> None:
    endpoint = server.url("/test/2/webmention")
    target = serve(server, "/test/2", page(), [("Link", f"<{endpoint}>; rel=webmention")])
    assert discover_endpoint(client, target) == endpoint


def test_rocks03_link_element_relative_url(server: LoopbackServer, client: HttpClient) -> None:
    target = serve(server, "/test/3", page('<link rel="webmention" href="/test/3/webmention">'))
    assert discover_endpoint(client, target) == server.url("/test/3/webmention")


def test_rocks04_link_element_absolute_url(server: LoopbackServer, client: HttpClient) -> None:
    endpoint = server.url("/test/4/webmention")
    target = serve(server, "/test/4", page(f'<link href="{endpoint}" rel="webmention">'))
    assert discover_endpoint(client, target) == endpoint


def test_rocks05_a_element_relative_url(server: LoopbackServer, client: HttpClient) -> None:
    content = 'This post advertises its <a rel="webmention" href="/test/5/webmention">endpoint</a>.'
    target = serve(server, "/test/5", page(content=content))
    assert discover_endpoint(client, target) == server.url("/test/5/webmention")


def test_rocks06_a_element_absolute_url(server: LoopbackServer, client: HttpClient) -> None:
    endpoint = server.url("/test/6/webmention")
    target = serve(server, "/test/6", page(content=f'Its <a href="{endpoint}" rel="webmention">endpoint</a>.'))
    assert discover_endpoint(client, target) == endpoint


def test_rocks07_link_header_name_in_strange_case(server: LoopbackServer, client: HttpClient) -> None:
    endpoint = server.url("/test/7/webmention")
    target = serve(server, "/test/7", page(), [("LinK", f"<{endpoint}>; rel=webmention")])
    assert discover_endpoint(client, target) == endpoint


def test_rocks08_link_header_quoted_rel(server: LoopbackServer, client: HttpClient) -> None:
    endpoint = server.url("/test/8/webmention")
    target = serve(server, "/test/8", page(), [("Link", f'<{endpoint}>; rel="webmention"')])
    assert discover_endpoint(client, target) == endpoint


def test_rocks09_link_element_with_several_rel_values(server: LoopbackServer, client: HttpClient) -> None:
    endpoint = server.url("/test/9/webmention")
    target = serve(server, "/test/9", page(f'<link rel="webmention somethingelse" href="{endpoint}">'))
    assert discover_endpoint(client, target) == endpoint


def test_rocks10_link_header_with_several_rel_values(server: LoopbackServer, client: HttpClient) -> None:
    endpoint = server.url("/test/10/webmention")
    target = serve(server, "/test/10", page(), [("Link", f'<{endpoint}>; rel="webmention somethingelse"')])
    assert discover_endpoint(client, target) == endpoint


def test_rocks11_link_header_beats_link_and_a_elements(server: LoopbackServer, client: HttpClient) -> None:
    body = page(
        '<link rel="webmention" href="/test/11/webmention/error">',
        'Also an <a href="/test/11/webmention/error" rel="webmention">a tag</a>.',
    )
    target = serve(server, "/test/11", body, [("Link", '</test/11/webmention>; rel="webmention"')])
    assert discover_endpoint(client, target) == server.url("/test/11/webmention")


def test_rocks12_rel_must_match_a_whole_token(server: LoopbackServer, client: HttpClient) -> None:
    body = page(
        '<link rel="not-webmention" href="/test/12/webmention/error">',
        'There is also a <a href="/test/12/webmention" rel="webmention">correct endpoint</a>.',
    )
    target = serve(server, "/test/12", body)
    assert discover_endpoint(client, target) == server.url("/test/12/webmention")


def test_rocks13_endpoint_inside_html_comment_is_ignored(server: LoopbackServer, client: HttpClient) -> None:
    content = (
        'A comment <!-- <a href="/test/13/webmention/error" rel="webmention"></a> --> holds a false endpoint. '
        'There is also a <a href="/test/13/webmention" rel="webmention">correct endpoint</a>.'
    )
    target = serve(server, "/test/13", page(content=content))
    assert discover_endpoint(client, target) == server.url("/test/13/webmention")


def test_rocks14_endpoint_in_escaped_html_is_ignored(server: LoopbackServer, client: HttpClient) -> None:
    content = (
        'Sample code: <code>&lt;a href="/test/14/webmention/error" rel="webmention"&gt;&lt;/a&gt;</code> '
        'There is also a <a href="/test/14/webmention" rel="webmention">correct endpoint</a>.'
    )
    target = serve(server, "/test/14", page(content=content))
    assert discover_endpoint(client, target) == server.url("/test/14/webmention")


def test_rocks15_empty_href_is_the_page_itself(server: LoopbackServer, client: HttpClient) -> None:
    target = serve(server, "/test/15", page('<link rel="webmention" href="">'))
    assert discover_endpoint(client, target) == server.url("/test/15")


def test_rocks16_a_before_link_first_in_document_wins(server: LoopbackServer, client: HttpClient) -> None:
    content = (
        'An <a href="/test/16/webmention" rel="webmention">a tag</a>, then a later '
        '<link rel="webmention" href="/test/16/webmention/error">'
    )
    target = serve(server, "/test/16", page(content=content))
    assert discover_endpoint(client, target) == server.url("/test/16/webmention")


def test_rocks17_link_before_a_first_in_document_wins(server: LoopbackServer, client: HttpClient) -> None:
    content = (
        'A link tag <link rel="webmention" href="/test/17/webmention"> then a later '
        '<a href="/test/17/webmention/error" rel="webmention">a tag</a>.'
    )
    target = serve(server, "/test/17", page(content=content))
    assert discover_endpoint(client, target) == server.url("/test/17/webmention")


def test_rocks18_several_link_headers(server: LoopbackServer, client: HttpClient) -> None:
    error, endpoint = server.url("/test/18/webmention/error"), server.url("/test/18/webmention")
    links = [("Link", f'<{error}>; rel="other"'), ("Link", f'<{endpoint}>; rel="webmention"')]
    target = serve(server, "/test/18", page(), links)
    assert discover_endpoint(client, target) == endpoint


def test_rocks19_one_link_header_with_several_values(server: LoopbackServer, client: HttpClient) -> None:
    error, endpoint = server.url("/test/19/webmention/error"), server.url("/test/19/webmention")
    target = serve(server, "/test/19", page(), [("Link", f'<{error}>; rel="other", <{endpoint}>; rel="webmention"')])
    assert discover_endpoint(client, target) == endpoint


def test_rocks20_link_element_without_href_is_skipped(server: LoopbackServer, client: HttpClient) -> None:
    content = (
        'A link tag <link rel="webmention"> without href; send to '
        '<a href="/test/20/webmention" rel="webmention">this endpoint</a> instead.'
    )
    target = serve(server, "/test/20", page(content=content))
    assert discover_endpoint(client, target) == server.url("/test/20/webmention")


def test_rocks21_endpoint_query_string_is_kept(server: LoopbackServer, client: HttpClient) -> None:
    target = serve(server, "/test/21", page('<link rel="webmention" href="/test/21/webmention?query=yes">'))
    assert discover_endpoint(client, target) == server.url("/test/21/webmention?query=yes")


def test_rocks22_endpoint_relative_to_the_path(server: LoopbackServer, client: HttpClient) -> None:
    target = serve(server, "/test/22", page('<link rel="webmention" href="22/webmention">'))
    assert discover_endpoint(client, target) == server.url("/test/22/webmention")


def test_rocks23_redirected_target_relative_link_header(server: LoopbackServer, client: HttpClient) -> None:
    server.route("/test/23/page", Reply(302, "", [("Location", "/test/23/page/l2l0Cy3T")]))
    body = '<p><a rel="webmention" href="webmention-endpoint/K3fVsQtc">webmention endpoint</a></p>'
    serve(server, "/test/23/page/l2l0Cy3T", body, [("Link", "<webmention-endpoint/K3fVsQtc>; rel=webmention")])
    endpoint = discover_endpoint(client, server.url("/test/23/page"))
    assert endpoint == server.url("/test/23/page/webmention-endpoint/K3fVsQtc")


# --- redirects ----------------------------------------------------------------------------------


def test_permanent_redirect_relative_html_endpoint_resolves_against_final_url(
    server: LoopbackServer, client: HttpClient
) -> None:
    server.route("/post", Reply(301, "", [("Location", "/post/")]))
    serve(server, "/post/", page('<link rel="webmention" href="webmention">'))
    assert discover_endpoint(client, server.url("/post")) == server.url("/post/webmention")


def test_temporary_redirect_relative_a_endpoint_resolves_against_final_url(
    server: LoopbackServer, client: HttpClient
) -> None:
    server.route("/p/1", Reply(302, "", [("Location", "/p/1/")]))
    serve(server, "/p/1/", page(content='<a rel="webmention" href="./mentions">endpoint</a>'))
    assert discover_endpoint(client, server.url("/p/1")) == server.url("/p/1/mentions")


def test_redirect_to_another_path_resolves_against_final_url(server: LoopbackServer, client: HttpClient) -> None:
    server.route("/old/post", Reply(301, "", [("Location", "/middle")]))
    server.route("/middle", Reply(302, "", [("Location", "/new/2024/post")]))
    serve(server, "/new/2024/post", page('<link rel="webmention" href="../endpoint">'))
    assert discover_endpoint(client, server.url("/old/post")) == server.url("/new/endpoint")


def test_redirected_empty_href_is_the_final_url(server: LoopbackServer, client: HttpClient) -> None:
    server.route("/short", Reply(301, "", [("Location", "/long/post")]))
    serve(server, "/long/post", page('<link rel="webmention" href="">'))
    assert discover_endpoint(client, server.url("/short")) == server.url("/long/post")


# --- the fetch itself ---------------------------------------------------------------------------


def test_discovery_fetches_with_get_only(server: LoopbackServer, client: HttpClient) -> None:
    target = serve(server, "/get", page('<link rel="webmention" href="/endpoint">'))
    assert discover_endpoint(client, target) == server.url("/endpoint")
    assert [received.method for received in server.received] == ["GET"]


def test_no_endpoint_advertised_is_none(server: LoopbackServer, client: HttpClient) -> None:
    target = serve(server, "/plain", page('<link rel="alternate" href="/feed.xml">'), [("Link", '</s>; rel="self"')])
    assert discover_endpoint(client, target) is None


def test_link_header_is_honoured_on_an_error_status(server: LoopbackServer, client: HttpClient) -> None:
    target = serve(server, "/gone", page(), [("Link", "</endpoint>; rel=webmention")], status=410)
    assert discover_endpoint(client, target) == server.url("/endpoint")


def test_html_of_an_error_status_is_not_searched(server: LoopbackServer, client: HttpClient) -> None:
    target = serve(server, "/missing", page('<link rel="webmention" href="/endpoint">'), status=404)
    assert discover_endpoint(client, target) is None


def test_body_that_is_not_html_is_not_searched(server: LoopbackServer, client: HttpClient) -> None:
    body = page('<link rel="webmention" href="/endpoint">')
    target = serve(server, "/text", body, headers=[("Content-Type", "text/plain; charset=utf-8")])
    assert discover_endpoint(client, target) is None


def test_body_without_content_type_is_searched_as_html(server: LoopbackServer, client: HttpClient) -> None:
    target = serve(server, "/untyped", page('<link rel="webmention" href="/endpoint">'), headers=[])
    assert discover_endpoint(client, target) == server.url("/endpoint")


def test_xhtml_body_is_searched(server: LoopbackServer, client: HttpClient) -> None:
    body = page('<link rel="webmention" href="/endpoint" />')
    target = serve(server, "/xhtml", body, headers=[("Content-Type", "Application/XHTML+XML")])
    assert discover_endpoint(client, target) == server.url("/endpoint")


def test_whitespace_around_href_is_stripped(server: LoopbackServer, client: HttpClient) -> None:
    target = serve(server, "/spaced", page('<link rel="webmention" href="  \n /endpoint?a=1 \t ">'))
    assert discover_endpoint(client, target) == server.url("/endpoint?a=1")


def test_entities_in_href_are_decoded(server: LoopbackServer, client: HttpClient) -> None:
    target = serve(server, "/entities", page('<link rel="webmention" href="/endpoint?a=1&amp;b=2">'))
    assert discover_endpoint(client, target) == server.url("/endpoint?a=1&b=2")


def test_rel_on_other_elements_is_ignored(server: LoopbackServer, client: HttpClient) -> None:
    content = (
        '<map><area rel="webmention" href="/area"></map><div rel="webmention" href="/div"></div>'
        '<a rel="webmention" href="/endpoint">endpoint</a>'
    )
    target = serve(server, "/others", page(content=content))
    assert discover_endpoint(client, target) == server.url("/endpoint")


def test_rel_token_match_ignores_case(server: LoopbackServer, client: HttpClient) -> None:
    target = serve(server, "/case", page('<LINK REL="Me WebMention" HREF="/endpoint">'))
    assert discover_endpoint(client, target) == server.url("/endpoint")


def test_loopback_target_is_refused_by_default(server: LoopbackServer) -> None:
    target = serve(server, "/private", page('<link rel="webmention" href="/endpoint">'))
    with pytest.raises(NetworkError, match="allow_private_addresses"):
        discover_endpoint(HttpClient(NetworkSettings()), target)
    assert server.received == []


# --- endpoint_from_link_headers on strings ------------------------------------------------------


def test_link_header_comma_inside_url_does_not_split() -> None:
    values = ['<https://example.org/a,b>; rel="other", <https://example.org/x,y?z=1,2>; rel="webmention"']
    assert endpoint_from_link_headers(values, BASE) == "https://example.org/x,y?z=1,2"


def test_link_header_unquoted_rel_followed_by_quoted_param_with_comma() -> None:
    values = ['</endpoint>; rel=webmention; title="a, b; c"', '</later>; rel="webmention"']
    assert endpoint_from_link_headers(values, BASE) == "https://example.org/endpoint"


def test_link_header_comma_in_quoted_param_before_rel() -> None:
    values = [r'</wrong>; title="x \", <y>; rel=webmention; t=1"; rel=other, </endpoint>; rel=webmention']
    assert endpoint_from_link_headers(values, BASE) == "https://example.org/endpoint"


def test_link_header_rel_token_must_be_whole() -> None:
    values = ['</a>; rel="webmention-not", </b>; rel="not-webmention webmentions"', '</c>; rel="x WebMention"']
    assert endpoint_from_link_headers(values, BASE) == "https://example.org/c"


def test_link_header_url_rel_among_other_tokens() -> None:
    values = ['</endpoint>; rel="https://webmention.net/ webmention"']
    assert endpoint_from_link_headers(values, BASE) == "https://example.org/endpoint"


def test_link_header_param_name_case_and_spacing() -> None:
    values = ['<endpoint> ;REL = "webmention"']
    assert endpoint_from_link_headers(values, BASE) == "https://example.org/post/endpoint"


def test_link_header_only_first_rel_param_counts() -> None:
    values = ["</a>; rel=other; rel=webmention, </b>; rel=webmention"]
    assert endpoint_from_link_headers(values, BASE) == "https://example.org/b"


def test_link_header_none_when_absent_or_malformed() -> None:
    assert endpoint_from_link_headers([], BASE) is None
    assert endpoint_from_link_headers(["/endpoint; rel=webmention", '<x>; title="webmention"'], BASE) is None


# --- endpoint_from_html on strings --------------------------------------------------------------


def test_html_a_without_href_then_link() -> None:
    html = '<a rel="webmention">no href</a><link rel=webmention href="/x">'
    assert endpoint_from_html(html, BASE) == "https://example.org/x"


def test_html_rel_tokens_that_only_contain_webmention_are_ignored() -> None:
    html = '<link rel="not-webmention webmention-x" href="/wrong"><a rel="webmentions" href="/wrong2">x</a>'
    assert endpoint_from_html(html, BASE) is None


def test_html_endpoint_in_script_is_ignored() -> None:
    html = '<script>document.write(\'<link rel="webmention" href="/wrong">\')</script><a rel=webmention href=/x>x</a>'
    assert endpoint_from_html(html, BASE) == "https://example.org/x"


def test_html_valueless_href_is_the_page_itself() -> None:
    assert endpoint_from_html("<link rel=webmention href>", BASE) == BASE


def test_html_first_of_repeated_attributes_counts() -> None:
    html = '<link rel="webmention" rel="other" href="/first" href="/second">'
    assert endpoint_from_html(html, BASE) == "https://example.org/first"


def test_html_stops_at_the_first_endpoint_despite_broken_markup_after_it() -> None:
    html = '<a rel="webmention" href="?q=1&amp;r=2">x</a><link rel=webmention href="/later"><![CDATA[ <'
    assert endpoint_from_html(html, BASE) == "https://example.org/post/1?q=1&r=2"
