from django import forms


class AnalyzeForm(forms.Form):
    url = forms.CharField(
        label="GitHub repository",
        max_length=500,
        widget=forms.TextInput(
            attrs={
                "placeholder": "https://github.com/owner/name or owner/name",
                "autocomplete": "off",
            }
        ),
        help_text="Any form works: https URL, .git suffix, /tree/<branch>, git@github.com:… "
        "or owner/name.",
    )


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Personal access token",
        max_length=255,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Read access to the repositories you want analysed. It is checked with "
        "GitHub, stored encrypted and never shown again.",
    )
