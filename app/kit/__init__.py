"""The kit every page uses: widgets, lecture mode and styles, figures, tokens and text as
shown, chart text, the page's view in its link. It imports nothing from views or rooms."""
