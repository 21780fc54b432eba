"""The community: shoppers ask questions on cards and suggest ideas to organisations,
vote on answers and ideas, and partners answer and say what became of an idea; anyone
reports what breaks the rules.

:mod:`.posting` holds the rules of posting and voting (shared by the pages, the
portal and the API), :mod:`.screening` screens every text before others see it,
:mod:`.updates` tells the people who follow a thread, :mod:`.threads` reads what
pages show, :mod:`.reports` takes reports for staff; the blueprints live in the
``*_views`` modules.
"""
