from tests.factories import make_user, signed_in


def test_dashboard_greets_signed_in_user_in_persian(client):
    user = make_user(role="supervisor", name="مریم رضایی")
    signed_in(client, user)
    page = client.get("/")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text and 'lang="fa"' in page.text
    assert "مریم رضایی" in page.text
    assert "ناظر" in page.text
