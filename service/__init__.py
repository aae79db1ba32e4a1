"""reelsense service layer: fusion, storage, pipeline, matcher and interfaces."""
