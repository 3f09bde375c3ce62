"""The template sandbox, sanitising and text generation (no database)."""

import pytest

from apps.campaigns import rendering


def test_known_variables_pass_and_are_listed():
    variables = rendering.validate_template(
        subject='Hi {{ lead.first_name|default:"there" }}',
        html="<p>{{ lead.attributes.plan }} {% for t in lead.tags %}{{ t }}{% endfor %} "
        "{{ tenant.name }} {{ campaign.name }}</p>",
        text="",
    )
    assert variables == [
        "campaign.name",
        "lead.attributes.plan",
        "lead.first_name",
        "lead.tags",
        "t",
        "tenant.name",
    ]


def test_unknown_variables_are_reported_per_part():
    with pytest.raises(rendering.TemplateInvalid) as info:
        rendering.validate_template(
            subject="{{ lead.frist_name }}",
            html="{% if settings.SECRET_KEY %}x{% endif %}",
            text="ok",
        )
    assert info.value.errors["subject"][0].startswith("Unknown variable: lead.frist_name.")
    assert info.value.errors["html"][0].startswith("Unknown variable: settings.SECRET_KEY.")


@pytest.mark.parametrize(
    "source",
    [
        "{% load static %}",
        "{% include 'base.html' %}",
        "{% extends 'base.html' %}",
        "{% debug %}",
        "{% url 'landing' %}",
        "{% csrf_token %}",
        "{{ lead.email|safe }}",
    ],
)
def test_tags_and_filters_outside_the_sandbox_do_not_exist(source):
    with pytest.raises(rendering.TemplateInvalid) as info:
        rendering.validate_template(subject="s", html=source, text="t")
    assert "Template syntax error" in info.value.errors["html"][0]


def test_html_is_autoescaped_and_text_is_not():
    compiled = rendering.compile_parts(
        "Hi {{ lead.first_name }}", "<p>{{ lead.first_name }}</p>", "{{ lead.first_name }}"
    )
    out = rendering.render_parts(compiled, {"lead": {"first_name": "<b>Ada</b> & co"}})
    assert out.html == "<p>&lt;b&gt;Ada&lt;/b&gt; &amp; co</p>"
    assert out.text == "<b>Ada</b> & co"
    assert out.subject == "Hi <b>Ada</b> & co"


def test_sanitiser_keeps_email_markup_and_drops_active_content():
    html = (
        '<table width="100%"><tr><td style="color:red">x</td></tr></table>'
        '<p onclick="steal()">hi<script>alert(1)</script>'
        '<a href="javascript:alert(1)">a</a><a href="https://x.example/{{ lead.email }}">b</a>'
        '<iframe src="https://evil"></iframe></p>'
    )
    assert rendering.sanitise_html(html) == (
        '<table width="100%"><tbody><tr><td style="color:red">x</td></tr></tbody></table>'
        '<p>hi<a>a</a><a href="https://x.example/{{ lead.email }}">b</a></p>'
    )


def test_plain_text_is_generated_from_html():
    assert (
        rendering.html_to_text(
            '<h1>Title</h1><p>Hello <a href="https://x.example">there</a></p><p>Bye&nbsp;now</p>'
        )
        == "Title\nHello there (https://x.example)\nBye\xa0now"
    )
