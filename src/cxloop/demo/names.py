"""Word lists for the demo's people and companies (all invented for cxloop)."""

from __future__ import annotations

FIRST_NAMES = (
    "Aaliyah", "Abdul", "Ada", "Aiden", "Aisha", "Alex", "Amara", "Amelia", "Ana", "Andre", "Anika", "Arjun", "Ben",
    "Bianca", "Caleb", "Camille", "Carlos", "Chen", "Chloe", "Chris", "Dana", "Daniel", "Deepa", "Diego", "Dmitri",
    "Elena", "Eli", "Emeka", "Emma", "Erik", "Fatima", "Felix", "Fiona", "Gabriel", "Grace", "Hana", "Hannah",
    "Hugo", "Ines", "Isaac", "Ivy", "Jack", "Jamal", "James", "Jana", "Javier", "Jin", "Jonas", "Jordan", "Julia",
    "Kai", "Karin", "Kavya", "Kenji", "Kiara", "Laila", "Lars", "Leah", "Leon", "Lina", "Liam", "Lucas", "Lucia",
    "Maeve", "Malik", "Marco", "Maria", "Mateo", "Maya", "Mei", "Mia", "Mohammed", "Nadia", "Naomi", "Nathan",
    "Niamh", "Nico", "Nina", "Noah", "Nora", "Olivia", "Omar", "Oscar", "Owen", "Paula", "Priya", "Rafael", "Rahul",
    "Rania", "Rosa", "Ruben", "Ryan", "Sam", "Samir", "Sara", "Sean", "Sofia", "Sven", "Tariq", "Tessa", "Theo",
    "Tom", "Uma", "Valentina", "Victor", "Wei", "Yara", "Yusuf", "Zara", "Zoe",
)  # fmt: skip

LAST_NAMES = (
    "Abbott", "Adeyemi", "Alvarez", "Andersen", "Bakker", "Banerjee", "Becker", "Bergstrom", "Bianchi", "Brennan",
    "Byrne", "Campbell", "Castillo", "Chowdhury", "Clarke", "Costa", "Dubois", "Duffy", "Eriksson", "Fernandes",
    "Fischer", "Fitzgerald", "Garcia", "Gomez", "Greene", "Haddad", "Hansen", "Hartmann", "Hughes", "Ibrahim",
    "Jansen", "Johansson", "Kaur", "Kelly", "Kim", "Kowalski", "Kruger", "Larsen", "Laurent", "Lee", "Lindqvist",
    "Lopez", "MacLeod", "Martin", "Mehta", "Meyer", "Moreau", "Murphy", "Nakamura", "Nguyen", "Novak", "Nowak",
    "Obi", "OConnor", "Okafor", "Olsen", "Park", "Patel", "Pereira", "Petrov", "Quinn", "Rahman", "Reyes", "Richter",
    "Romero", "Rossi", "Russo", "Santos", "Schmidt", "Schneider", "Shah", "Silva", "Singh", "Sorensen", "Tanaka",
    "Thompson", "Torres", "Tran", "Turner", "Van Dijk", "Vargas", "Visser", "Wagner", "Walsh", "Watanabe", "Weber",
    "Williams", "Wong", "Yilmaz", "Young", "Zhang", "Zimmermann",
)  # fmt: skip

# Company names are "<stem> <noun>", the noun fitting the industry.
COMPANY_STEMS = (
    "Alder", "Amber", "Anchor", "Apex", "Arbor", "Aspen", "Atlas", "Beacon", "Birch", "Blue Fern", "Bramble",
    "Brightwater",
    "Cedar", "Clearfield", "Cobalt", "Copper", "Coral", "Crescent", "Driftwood", "Eastgate", "Ember", "Evergreen",
    "Fairway", "Falcon", "Foxglove", "Granite", "Greenleaf", "Harbor", "Hawthorn", "Highland", "Iron Bridge", "Juniper",
    "Keystone", "Lakeside", "Larch", "Lighthouse", "Lumen", "Maple", "Meadow", "Meridian", "Millstone", "Northstar",
    "Oakridge", "Orchard", "Pebble", "Pinecrest", "Quarry", "Redwood", "Ridgeway", "Riverbend", "Rowan", "Saffron",
    "Sandstone", "Silverline", "Sparrow", "Stonebridge", "Summit", "Sunflower", "Tidewater", "Timber", "Trillium",
    "Upland", "Valley", "Westbrook", "Willow", "Windmill", "Yarrow",
)  # fmt: skip

INDUSTRY_NOUNS: dict[str, tuple[str, ...]] = {
    "retail": ("Goods", "Outfitters", "Market", "Home Store", "Boutique", "Trading Co"),
    "hospitality": ("Bistro", "Hotels", "Kitchen", "Coffee House", "Inn", "Eatery"),
    "healthcare": ("Dental", "Clinic", "Physio", "Health Group", "Vet Practice", "Pharmacy"),
    "professional_services": ("Partners", "Accounting", "Legal", "Consulting", "Architects", "Advisory"),
    "education": ("Academy", "Learning Centre", "School", "Tutors", "College"),
    "manufacturing": ("Works", "Fabrication", "Industries", "Components", "Engineering"),
    "technology": ("Labs", "Software", "Systems", "Digital", "Analytics"),
    "logistics": ("Freight", "Logistics", "Couriers", "Distribution", "Warehousing"),
}

ENTERPRISE_SUFFIXES = ("Group", "Holdings", "International", "plc", "Inc", "Corporation", "Global")

# The support team, by queue; each agent's `skill` shifts the CSAT their customers give.
SUPPORT_TEAMS: dict[str, tuple[str, ...]] = {
    "Product support": ("Maya", "Tom", "Priya", "Lucas", "Grace", "Jonas", "Amara", "Sean"),
    "Billing": ("Nadia", "Oscar", "Hannah", "Rafael"),
    "Logistics": ("Kenji", "Fiona", "Malik", "Ines"),
    "Onboarding": ("Tessa", "Daniel", "Zara"),
}

ACCOUNT_MANAGERS = (
    "Charlotte Reid", "Marcus Bell", "Sofia Lindgren", "Ravi Iyer", "Joanna Price", "Tobias Klein", "Aoife Brady",
    "Kwame Mensah",
)  # fmt: skip

FEATURES = (
    "catalog_search", "bulk_ordering", "approval_workflow", "budget_limits", "spend_reports", "recurring_orders",
    "invoice_export", "erp_integration", "team_permissions", "mobile_app", "delivery_tracking", "saved_lists",
)  # fmt: skip

CARRIERS = ("Swiftline", "ParcelPoint", "RouteOne", "own fleet")
