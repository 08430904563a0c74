"""The Streamlit UI: one file per page in ``pages/``, shared pieces beside them. Only this package and
``app/streamlit_app.py`` import Streamlit; everything they show comes from the core."""
