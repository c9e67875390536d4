// The words production data is made of. Names are ordinary real-world names on
// purpose: the scrubber must replace them, and the leak scan looks for these exact
// values afterwards. So no name is shorter than three letters or doubles as a word
// used anywhere else in the data (a street, a city, a listing, a message), which
// keeps the scan free of false alarms.

export const firstNames: readonly string[] = [
  'James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William', 'Elizabeth',
  'David', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen',
  'Daniel', 'Nancy', 'Matthew', 'Emily', 'Anthony', 'Olivia', 'Steven', 'Hannah', 'Andrew', 'Chloe',
  'Joshua', 'Megan', 'Ryan', 'Ashley', 'Tyler', 'Rachel', 'Kevin', 'Lauren', 'Brandon', 'Heather',
  'José', 'María', 'Carlos', 'Lucía', 'Javier', 'Sofía', 'Diego', 'Valentina', 'Alejandro', 'Camila',
  'Mateo', 'Isabel', 'Luis', 'Carmen', 'Andrés', 'Gabriela', 'João', 'Beatriz', 'Rafael', 'Tiago',
  'Chloé', 'Louis', 'Camille', 'Hugo', 'Léa', 'Mathieu', 'Élodie', 'Antoine', 'Giulia', 'Marco',
  'Francesca', 'Luca', 'Chiara', 'Lukas', 'Anna', 'Jonas', 'Lena', 'Felix', 'Björn', 'Ingrid',
  'Søren', 'Freya', 'Astrid', 'Piotr', 'Agnieszka', 'Łukasz', 'Katarzyna', 'Tomasz', 'Zuzana', 'Dmitri',
  'Olga', 'Natalia', 'Siobhán', 'Seán', 'Niamh', 'Ciarán', 'Aoife', 'Eoin', 'Wei', 'Xiaoming',
  'Hiroshi', 'Yuki', 'Haruto', 'Sakura', 'Kenji', 'Aiko', 'Min-jun', 'Ji-woo', 'Seo-yeon', 'Hyun-woo',
  'Priya', 'Arjun', 'Ananya', 'Rahul', 'Deepika', 'Vikram', 'Aditi', 'Rohan', 'Linh', 'Minh',
  'Oluwaseun', 'Chidi', 'Ngozi', 'Kwame', 'Kofi', 'Abena', 'Tendai', 'Thandiwe', 'Sipho', 'Amara',
  'Zainab', 'Fatima', 'Omar', 'Ahmed', 'Layla', 'Yusuf', 'Amina', 'Hassan', 'Tariq', 'Leila',
  'Mehmet', 'Ayşe', 'Emre', 'Elif', 'Yael', 'Noam', 'Aroha', 'Tane', 'Malia', 'Keoni',
];

export const lastNames: readonly string[] = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Taylor',
  'Thomas', 'Moore', 'Jackson', 'Martin', 'Lee', 'Thompson', 'Harris', 'Clark', 'Lewis', 'Robinson',
  'Walker', 'Allen', 'Wright', 'Scott', 'Adams', 'Nelson', 'Carter', 'Mitchell', 'Roberts', 'Campbell',
  'Evans', 'Turner', 'Collins', 'Murphy', "O'Brien", "O'Connor", 'McCarthy', 'Kelly', 'Byrne', 'García',
  'Rodríguez', 'Martínez', 'López', 'González', 'Hernández', 'Pérez', 'Sánchez', 'Ramírez', 'Torres', 'Flores',
  'Rivera', 'Gómez', 'Díaz', 'Morales', 'Silva', 'Santos', 'Oliveira', 'Costa', 'Pereira', 'Ferreira',
  'Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Müller', 'Schmidt', 'Schneider',
  'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Hoffmann', 'Schulz', 'Dubois', 'Durand', 'Lefèvre',
  'Moreau', 'Laurent', 'Girard', 'Rousseau', 'Jansen', 'de Vries', 'van Dijk', 'Bakker', 'Visser', 'Nowak',
  'Kowalski', 'Wiśniewski', 'Wójcik', 'Novák', 'Svoboda', 'Ivanov', 'Petrov', 'Smirnov', 'Andersson', 'Johansson',
  'Nilsson', 'Larsen', 'Hansen', 'Nielsen', 'Virtanen', 'Korhonen', 'Nguyen', 'Tran', 'Pham', 'Wang',
  'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Zhou', 'Sato', 'Suzuki', 'Takahashi',
  'Tanaka', 'Watanabe', 'Kim', 'Choi', 'Jung', 'Patel', 'Sharma', 'Singh', 'Kumar', 'Gupta',
  'Reddy', 'Iyer', 'Nair', 'Okafor', 'Adeyemi', 'Okonkwo', 'Mensah', 'Boateng', 'Mwangi', 'Otieno',
  'Ndlovu', 'Dlamini', 'Haddad', 'Khalil', 'Mansour', 'Yilmaz', 'Kaya', 'Demir', 'Cohen', 'Levi',
  'Mizrahi', 'Friedman', 'Khan', 'Hussain', 'Rahman', 'Chowdhury', 'Ali', 'Kahananui', 'Ngata', 'Tuilagi',
];

/** Countries the shop sells in; each has its own address and phone conventions. */
export type Country = 'US' | 'CA' | 'GB' | 'AU';

/**
 * A city members live in. `postcode` and `local` are patterns: # a random digit,
 * @ a random capital letter. `local` and the area code lie in the ranges set aside
 * for fiction (555-01xx in North America, Ofcom's drama numbers in the UK, ACMA's
 * in Australia), so a generated phone number never rings a real person.
 */
export interface City {
  name: string;
  region: string;
  country: Country;
  postcode: string;
  area: string;
  local: string;
}

const us = (name: string, region: string, zip: string, area: string): City => ({ name, region, country: 'US', postcode: `${zip}##`, area, local: '555-01##' });
const ca = (name: string, region: string, fsa: string, area: string): City => ({ name, region, country: 'CA', postcode: `${fsa} #@#`, area, local: '555-01##' });
const gb = (name: string, district: string, area: string, local: string): City => ({ name, region: '', country: 'GB', postcode: `${district}# #@@`, area, local });
const au = (name: string, region: string, postcode: string, area: string, local: string): City => ({ name, region, country: 'AU', postcode, area, local });

export const cities: readonly City[] = [
  us('Portland', 'OR', '972', '503'), us('Seattle', 'WA', '981', '206'), us('Denver', 'CO', '802', '303'),
  us('Boston', 'MA', '021', '617'), us('Chicago', 'IL', '606', '312'), us('Phoenix', 'AZ', '850', '602'),
  us('Los Angeles', 'CA', '900', '213'), us('Oakland', 'CA', '946', '510'), us('San Francisco', 'CA', '941', '415'),
  us('Minneapolis', 'MN', '554', '612'), us('Milwaukee', 'WI', '532', '414'), us('Pittsburgh', 'PA', '152', '412'),
  us('Baltimore', 'MD', '212', '410'), us('Raleigh', 'NC', '276', '919'), us('Nashville', 'TN', '372', '615'),
  us('New Orleans', 'LA', '701', '504'), us('Sacramento', 'CA', '958', '916'), us('Tucson', 'AZ', '857', '520'),
  us('Omaha', 'NE', '681', '402'), us('Albuquerque', 'NM', '871', '505'), us('Brooklyn', 'NY', '112', '718'),
  us('Cleveland', 'OH', '441', '216'), us('Columbus', 'OH', '432', '614'), us('Richmond', 'VA', '232', '804'),
  us('Savannah', 'GA', '314', '912'), us('Boise', 'ID', '837', '208'), us('Spokane', 'WA', '992', '509'),
  us('Anchorage', 'AK', '995', '907'), us('Honolulu', 'HI', '968', '808'), us('Burlington', 'VT', '054', '802'),
  ca('Toronto', 'ON', 'M5V', '416'), ca('Montréal', 'QC', 'H2X', '514'), ca('Vancouver', 'BC', 'V6B', '604'),
  ca('Calgary', 'AB', 'T2P', '403'), ca('Ottawa', 'ON', 'K1P', '613'), ca('Winnipeg', 'MB', 'R3C', '204'),
  ca('Halifax', 'NS', 'B3H', '902'), ca('Edmonton', 'AB', 'T5J', '780'), ca('Saskatoon', 'SK', 'S7K', '306'),
  gb('London', 'SE', '20', '7946 0###'), gb('Manchester', 'M', '161', '496 0###'), gb('Bristol', 'BS', '117', '496 0###'),
  gb('Leeds', 'LS', '113', '496 0###'), gb('Glasgow', 'G', '141', '496 0###'), gb('Edinburgh', 'EH', '131', '496 0###'),
  gb('Cardiff', 'CF', '29', '2018 0###'), gb('Belfast', 'BT', '28', '9018 0###'), gb('Liverpool', 'L', '151', '496 0###'),
  gb('Sheffield', 'S', '114', '496 0###'), gb('Nottingham', 'NG', '115', '496 0###'), gb('Birmingham', 'B', '121', '496 0###'),
  gb('Brighton', 'BN', '1632', '960 ###'), gb('Norwich', 'NR', '1632', '960 ###'), gb('York', 'YO', '1632', '960 ###'),
  au('Sydney', 'NSW', '2###', '2', '5550 ####'), au('Newcastle', 'NSW', '23##', '2', '5550 ####'),
  au('Canberra', 'ACT', '26##', '2', '5550 ####'), au('Melbourne', 'VIC', '3###', '3', '7010 ####'),
  au('Geelong', 'VIC', '32##', '3', '7010 ####'), au('Hobart', 'TAS', '70##', '3', '7010 ####'),
  au('Brisbane', 'QLD', '4###', '7', '5550 ####'), au('Perth', 'WA', '60##', '8', '5550 ####'),
  au('Darwin', 'NT', '08##', '8', '5550 ####'),
];

/** Placeholders: {number} {unit} {street} {city} {region} {postcode}. */
export const addressFormats: Readonly<Record<Country, readonly string[]>> = {
  US: ['{number} {street}, {city}, {region} {postcode}', '{number} {street} Apt {unit}, {city}, {region} {postcode}'],
  CA: ['{number} {street}, {city}, {region} {postcode}', '{unit}-{number} {street}, {city}, {region} {postcode}'],
  GB: ['{number} {street}, {city} {postcode}', 'Flat {unit}, {number} {street}, {city} {postcode}'],
  AU: ['{number} {street}, {city} {region} {postcode}', 'Unit {unit}/{number} {street}, {city} {region} {postcode}'],
};

/** Placeholders: {area} {local}; # is a random digit (07700 900### is a UK drama mobile range). */
export const phoneFormats: Readonly<Record<Country, readonly string[]>> = {
  US: ['+1 ({area}) {local}', '({area}) {local}', '{area}-{local}', '+1 {area}-{local}'],
  CA: ['+1 ({area}) {local}', '({area}) {local}', '{area}-{local}'],
  GB: ['+44 {area} {local}', '0{area} {local}', '(0{area}) {local}', '07700 900###', '+44 7700 900###'],
  AU: ['+61 {area} {local}', '(0{area}) {local}', '0{area} {local}'],
};

export const streetNames: readonly string[] = [
  'Maple', 'Oak', 'Cedar', 'Elm', 'Pine', 'Willow', 'Birch', 'Chestnut', 'Sycamore', 'Hawthorn',
  'Laurel', 'Magnolia', 'Poplar', 'Alder', 'Rowan', 'Church', 'Mill', 'Station', 'Bridge', 'Market',
  'Queen', 'Spring', 'Orchard', 'Meadow', 'Highland', 'Lakeview', 'Riverside', 'Sunset', 'Hillcrest', 'Fairview',
  'Prospect', 'Union', 'Liberty', 'Central', 'Mountain', 'Valley', 'Forest', 'Harbour', 'Lighthouse', 'Ferry',
  'Quarry', 'Cherry', 'Apple', 'Primrose', 'Bluebell', 'Heathfield', 'Kingfisher', 'Sparrow', 'Falcon', 'Heron',
];

export const streetSuffixes: readonly string[] = [
  'Street', 'Road', 'Avenue', 'Lane', 'Drive', 'Way', 'Court', 'Place', 'Close', 'Crescent', 'Terrace', 'Grove',
];

export const emailDomains: readonly string[] = [
  'mail.example.com', 'post.example.net', 'inbox.example.org', 'webmail.example', 'letterbox.example',
];

// Shop names are lead + middle + kind: both lead and middle are single words, so
// every combination reads back to exactly one triple and names stay unique.
export const shopLeads: readonly string[] = [
  'Copper', 'Juniper', 'Lantern', 'Granite', 'Saffron', 'Indigo', 'Amber', 'Velvet', 'Cobalt', 'Hazel',
  'Driftwood', 'Thistle', 'Clover', 'Bramble', 'Ember', 'Fern', 'Honey', 'Ivory', 'Jasper', 'Lavender',
  'Linden', 'Marigold', 'Moss', 'Nutmeg', 'Olive', 'Pebble', 'Quill', 'Russet', 'Sage', 'Sorrel',
  'Tamarind', 'Tidal', 'Umber', 'Wren', 'Acorn', 'Basil', 'Cinder', 'Dune', 'Fable', 'Garnet',
  'Ginger', 'Harvest', 'Iris', 'Kestrel', 'Lichen', 'Mica', 'Nettle', 'Opal', 'Pepper', 'Rustic',
  'Salt', 'Tansy', 'Umbra', 'Vesper', 'Wildflower', 'Yarrow', 'Zephyr', 'Anchor', 'Beacon', 'Compass',
];

export const shopMiddles: readonly string[] = [
  'Fox', 'Hare', 'Owl', 'Otter', 'Badger', 'Robin', 'Finch', 'Lark', 'Moth', 'Bee',
  'Stag', 'Swan', 'Crow', 'Magpie', 'Heron', 'Pine', 'Oak', 'Birch', 'Cedar', 'Harbor',
  'Hollow', 'Ridge', 'Brook', 'Meadow', 'Grove', 'Field', 'Stone', 'Thread', 'Loom', 'Kiln',
  'Anvil', 'Ink', 'Paper', 'Clay', 'Wick', 'Needle', 'Barrel', 'Basket', 'Spoon', 'Lamp',
  'Bell', 'Feather', 'Button', 'Ribbon', 'Wheel', 'Hearth', 'Garden', 'Orchard', 'Tide', 'Cove',
];

export const shopKinds: readonly string[] = [
  'Goods', 'Workshop', 'Supply', 'Market', 'Trading Co.', 'Studio', 'Atelier', 'Emporium', 'Outfitters', 'Collective',
  'Makers', 'Mercantile', 'General Store', 'Home', 'Design', 'Crafts', 'Vintage', 'Finds', 'Co.', 'House',
  'Works', 'Lab', 'Bazaar', 'Boutique', 'Depot', 'Provisions', 'Press', 'Company', 'Shop', 'Gallery',
  'Corner', 'Nook', 'Loft', 'Den', 'Parlour', 'Exchange', 'Guild', 'Cabinet', 'Mill', 'Yard',
];

export const itemStyles: readonly string[] = [
  'Handmade', 'Vintage', 'Hand-thrown', 'Hand-stitched', 'Rustic', 'Minimalist', 'Hand-painted', 'Upcycled', 'Engraved', 'Personalised',
  'Mid-century', 'Scandinavian', 'Boho', 'Art Deco', 'Hand-carved', 'Small-batch', 'Reclaimed', 'Hand-dyed', 'Woven', 'Classic',
];

export const itemMaterials: readonly string[] = [
  'Brass', 'Linen', 'Oak', 'Ceramic', 'Wool', 'Walnut', 'Enamel', 'Cork', 'Slate', 'Canvas',
  'Glass', 'Leather', 'Copper', 'Bamboo', 'Rattan', 'Stoneware', 'Porcelain', 'Silver', 'Cotton', 'Felt',
  'Marble', 'Terracotta', 'Beeswax', 'Cherrywood', 'Pewter',
];

export const itemObjects: readonly string[] = [
  'Teapot', 'Notebook', 'Lamp', 'Mug', 'Scarf', 'Cutting Board', 'Planter', 'Coaster Set', 'Tote Bag', 'Candle',
  'Wall Clock', 'Serving Bowl', 'Vase', 'Picture Frame', 'Necklace', 'Earrings', 'Ring', 'Bracelet', 'Wallet', 'Belt',
  'Cushion Cover', 'Throw Blanket', 'Table Runner', 'Apron', 'Oven Mitt', 'Spice Rack', 'Key Holder', 'Bookends', 'Desk Organiser', 'Pen Holder',
  'Jewellery Box', 'Trinket Dish', 'Soap Dish', 'Plant Hanger', 'Wind Chime', 'Bird Feeder', 'Dog Collar', 'Cat Bed', 'Phone Stand', 'Journal',
  'Print', 'Tea Towel', 'Pitcher', 'Salad Servers', 'Cheese Board', 'Wine Rack', 'Doormat', 'Hair Clip', 'Backpack', 'Beanie',
];

export const itemVariants: readonly string[] = [
  'Large', 'Small', 'Set of 2', 'Set of 4', 'Sage Green', 'Navy', 'Mustard', 'Terracotta Red', 'Natural', 'Charcoal', 'Gift Boxed', 'Made to Order',
];

// Message bodies. Placeholders: {recipient} (the recipient's full name, in every
// template), {item} (a listing's title), {shop}, {email} and {phone} (the
// sender's). Some carry the line breaks, tabs, CRLF and backslashes real messages
// have, so the COPY escaping is exercised by real data, not only by tests.
export const messageTemplates: readonly string[] = [
  'Hi {recipient}, is the {item} still available? Reach me at {email} or {phone}.',
  'Hello {recipient},\nI ordered the {item} last week and it has not arrived yet. Could you check? My number is {phone}.',
  '{recipient}, thanks so much! The {item} arrived today and it is lovely.',
  'Dear {recipient},\n\nWould you make a custom version of the {item}? Happy to pay extra. Email me: {email}',
  'Hi {recipient} \\o/ just wanted to say {shop} is my favourite shop on here.',
  'Hey {recipient}, can you ship the {item} to a different address? Call me on {phone} to sort it out.',
  'Hi {recipient}, the {item} came with a small chip. Photos attached. You can reach me at {email}.',
  'Good morning {recipient}! Do you offer combined shipping if I order the {item} and something else from {shop}?',
  '{recipient} - quick question: what are the dimensions of the {item}?',
  'Hi {recipient},\n\nSorry for the late reply. Yes, Tuesday works for pickup.\n\nThanks',
  'Thanks {recipient}! Left you a 5-star review :)',
  'Hello {recipient}, I would like to return the {item}.\nOrder:\tsee receipt\nPhone:\t{phone}\nEmail:\t{email}',
  'Hi {recipient}, is the price of the {item} firm? Would you take $20 less?',
  'Hi {recipient},\r\nYour {item} went out today, tracking to follow.\r\nThanks for shopping at {shop}!',
  '{recipient}, could you gift wrap the {item}? It is a birthday present. Text me at {phone} if that is a problem.',
  'Hello {recipient}, do you have the {item} in another colour? Saved path from your listing: C:\\Users\\photos\\{item}.jpg',
];
