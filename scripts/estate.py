"""What the incident benchmark generators (scripts/make-*-incident-bench.py) share: the
networks of a made-up estate and where its people work on a given day."""
import zlib

# First octets of public networks: offices, homes (residential ISPs), hotels.
OFFICE_FIRST = [5, 31, 46, 62, 77, 85, 91, 93, 109, 145, 176, 188, 194, 212, 217]
HOME_FIRST = [78, 82, 86, 90, 92, 95]
HOTEL_FIRST = [23, 50, 64, 66, 71, 96, 98, 173]


def net(rng, first):
    """A /24 (its first three octets) under one of the first octets `first`."""
    return "%d.%d.%d" % (rng.choice(first), rng.randint(1, 254), rng.randint(0, 255))


def works_from_home(name, day):
    """Whether the person `name` works from home on `day` (three days in ten): a person
    is in one place a day, not in two by turns. The same for every run."""
    return zlib.crc32(b"%s/%d" % (name.encode(), day)) % 10 < 3
