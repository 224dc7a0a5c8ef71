from django.core.management.base import BaseCommand

from importers.demo import DEMO_ACCOUNTS, load_demo


class Command(BaseCommand):
    help = "Create the demo accounts and the demo 1/500 plan in Hue, approved and in force."

    def handle(self, *args, **options):
        project = load_demo()
        if project is None:
            self.stdout.write("Demo plan already present.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Demo plan {project.code} loaded and in force."))
        for username, (password, role) in DEMO_ACCOUNTS.items():
            self.stdout.write(f"  demo account {role:9s} {username} / {password}")
