-- Postcodes from the ONS Postcode Directory (ONSPD), loaded with
-- `throughcare import onspd`. Terminated postcodes are kept, flagged, so an
-- old address still finds its area; lat and lon are NULL where ONSPD has no
-- grid reference.
CREATE TABLE postcode (
    postcode TEXT PRIMARY KEY,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    terminated TEXT,
    la TEXT,
    county TEXT,
    region TEXT,
    country TEXT,
    pfa TEXT,
    icb TEXT,
    sub_icb TEXT
);

-- Areas with official codes (probation regions, Probation Delivery Units,
-- local authorities, Integrated Care Boards), loaded from boundary files with
-- `throughcare import areas`. The boundary is kept as GeoJSON; its bounding
-- box lets a lookup skip areas that cannot hold a point.
CREATE TABLE area (
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    geojson TEXT NOT NULL,
    min_lat DOUBLE PRECISION NOT NULL,
    min_lon DOUBLE PRECISION NOT NULL,
    max_lat DOUBLE PRECISION NOT NULL,
    max_lon DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (kind, code)
);
