"""What retailers and brands do, shared by the portal's pages, the API and the command
line: organisations and their members, providers, previews, results, API tokens.
"""
