"""Deterministic synthetic Walmart order histories: the generator behind ``walmart generate``.

A seeded household shops weekly-ish at six South Carolina Walmart stores, in store, by pickup
and by delivery, from a catalogue of several hundred realistic Walmart products (names with
sizes, store brands and national brands, fixed ``usItemId`` s). Staples (milk, eggs, bananas,
bread, ...) recur on purchase cycles; other products come and go with household preferences.
Prices are the catalogue's March 2025 shelf prices moved month by month like their BLS average
price series (``walmart_lib.reference``) or, for products the BLS does not cover, by a seeded
random walk of occasional price changes; each store has a small fixed price offset, and some
product-months are on rollback. A few lines are unavailable, substituted, canceled, refunded
or weight-adjusted; tax follows each store's (plausible) South Carolina rates on food and
general merchandise; delivery orders pay a fee under $35 and usually tip. Everything is drawn
from one ``numpy`` generator seeded by ``seed``, with whole-array operations, so 100,000
orders take seconds; the same arguments always give the same bytes. Output is the canonical
JSON Lines format or a folder of Walmart order-page JSON files (see docs/canonical-format.md).
:func:`build_sample` writes the bundled ``data/sample/`` dataset with its exact counts.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from walmart_lib.config import SAMPLE_DIR
from walmart_lib.ingest.taxonomy import CATEGORIES
from walmart_lib.reference import BLS_ITEMS, load_bls_prices

try:  # orjson is optional: a faster writer of the same JSON.
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None

__all__ = [
    "CANONICAL_HEADER",
    "CATALOGUE",
    "DEFAULT_END",
    "DEFAULT_HOUSEHOLD",
    "SAMPLE_COUNTS",
    "SAMPLE_HOUSEHOLD",
    "STORES",
    "CatalogueProduct",
    "GenerateResult",
    "GeneratorStore",
    "Household",
    "build_sample",
    "generate_orders",
    "write_dataset",
]

#: First line of every canonical file.
CANONICAL_HEADER: dict[str, Any] = {"format": "walmart-grocery-canonical", "version": 1}
#: Default last day of a generated history (fixed, never "today", so output is reproducible).
DEFAULT_END = date(2025, 8, 31)
#: Earliest default first day: the start of the BLS reference window.
_DEFAULT_EARLIEST = date(2022, 1, 1)
#: Catalogue prices are shelf prices of this month; other months move relative to it.
_PRICE_REFERENCE_MONTH = date(2025, 3, 1)
_TZ = ZoneInfo("America/New_York")
_FORMATS = ("canonical", "walmart-json")

# Line status codes, in the order their groups appear on an order page.
_CHARGED, _UNAVAILABLE, _CANCELED, _REFUNDED = 0, 1, 2, 3
_STATUS_NAMES = ("charged", "unavailable", "canceled", "refunded")
_GROUP_TEXT = {_UNAVAILABLE: "Unavailable", _CANCELED: "Canceled", _REFUNDED: "Refunded"}
# Fulfilment codes.
_IN_STORE, _PICKUP, _DELIVERY = 0, 1, 2
_FULFILLMENT = ("IN_STORE", "PICKUP", "DELIVERY")
_FULFILLED_TEXT = ("Purchased in store", "Picked up", "Delivered")
#: Categories taxed at the general rate in South Carolina (unprepared food is taxed lower).
_GENERAL_MERCHANDISE = frozenset({"household", "personal care", "baby", "pets", "alcohol", "other"})

#: ``kind|name|price|size|size unit|BLS item|typical quantity`` under ``## category`` headings.
#: ``kind`` groups products that substitute for one another (and staple purchase cycles);
#: ``price`` is the regular March 2025 shelf price per item, or per pound when the size unit is
#: ``lb`` (sold by weight; the typical quantity is then in pounds); ``-`` means none.
_CATALOGUE_TEXT = """
## produce
bananas|Fresh Banana Fruit, Each|0.27|1|each|bananas|6
bananas|Fresh Bananas, per lb|0.52|1|lb|bananas|2.4
bananas|Marketside Organic Bananas, 2 lb Bag|1.94|32|oz|bananas|1
apples|Fresh Gala Apples, 3 lb Bag|4.47|48|oz|-|1
apples|Fresh Honeycrisp Apples, Each|1.28|1|each|-|4
apples|Fresh Granny Smith Apples, 3 lb Bag|4.97|48|oz|-|1
apples|Fresh Red Delicious Apples, Each|0.74|1|each|-|4
oranges|Fresh Navel Oranges, 4 lb Bag|5.97|64|oz|oranges|1
oranges|Fresh Navel Oranges, Each|0.98|1|each|oranges|4
mandarins|Cuties Mandarins, 3 lb Bag|5.48|48|oz|-|1
lemons|Fresh Lemons, Each|0.58|1|each|lemons|3
lemons|Fresh Lemons, 2 lb Bag|3.97|32|oz|lemons|1
limes|Fresh Limes, Each|0.34|1|each|-|4
grapefruit|Fresh Red Grapefruit, Each|1.12|1|each|grapefruit|2
grapes|Fresh Red Seedless Grapes, per lb|2.48|1|lb|-|2.2
grapes|Fresh Green Seedless Grapes, per lb|2.48|1|lb|-|2.2
strawberries|Fresh Strawberries, 1 lb Container|2.97|16|oz|strawberries|1
strawberries|Fresh Strawberries, 2 lb Container|5.47|32|oz|strawberries|1
berries|Fresh Blueberries, 11 oz Container|3.47|11|oz|-|1
berries|Fresh Raspberries, 6 oz Container|3.24|6|oz|-|1
avocados|Fresh Hass Avocados, Each|0.78|1|each|-|3
avocados|Fresh Hass Avocados, 4 Count Bag|3.97|4|ct|-|1
tomatoes|Fresh Roma Tomatoes, per lb|1.18|1|lb|tomatoes|1.3
tomatoes|Fresh Tomatoes on the Vine, per lb|1.97|1|lb|tomatoes|1.4
tomatoes|Marketside Grape Tomatoes, 10 oz Container|2.48|10|oz|tomatoes|1
potatoes|Fresh Russet Potatoes, 5 lb Bag|3.97|80|oz|potatoes|1
potatoes|Fresh Yellow Potatoes, 3 lb Bag|3.67|48|oz|potatoes|1
sweet_potatoes|Fresh Sweet Potatoes, per lb|1.14|1|lb|-|2.0
onions|Fresh Yellow Onions, 3 lb Bag|3.27|48|oz|-|1
onions|Fresh Red Onions, Each|1.04|1|each|-|2
onions|Fresh Sweet Onions, per lb|1.28|1|lb|-|1.5
garlic|Fresh Garlic, 3 Count Sleeve|1.47|3|ct|-|1
lettuce|Fresh Iceberg Lettuce, Each|1.48|1|each|lettuce|1
lettuce|Fresh Romaine Lettuce Hearts, 3 Count|3.27|3|ct|-|1
salad|Marketside Classic Iceberg Salad, 12 oz Bag|1.98|12|oz|lettuce|1
salad|Marketside Spring Mix, 5 oz Clamshell|3.48|5|oz|-|1
salad|Marketside Caesar Salad Kit, 10.6 oz Bag|3.78|10.6|oz|-|1
spinach|Marketside Fresh Baby Spinach, 10 oz Bag|2.98|10|oz|-|1
carrots|Fresh Whole Carrots, 2 lb Bag|1.64|32|oz|-|1
carrots|Marketside Baby Carrots, 1 lb Bag|1.24|16|oz|-|1
celery|Fresh Celery Stalk, Each|1.72|1|each|-|1
broccoli|Fresh Broccoli Crowns, per lb|1.86|1|lb|-|1.2
broccoli|Marketside Broccoli Florets, 12 oz Bag|2.48|12|oz|-|1
cucumbers|Fresh Cucumbers, Each|0.68|1|each|-|2
peppers|Fresh Green Bell Peppers, Each|0.84|1|each|-|2
peppers|Fresh Red Bell Peppers, Each|1.48|1|each|-|2
peppers|Marketside Mini Sweet Peppers, 16 oz Bag|3.47|16|oz|-|1
mushrooms|Marketside Sliced White Mushrooms, 8 oz Package|2.12|8|oz|-|1
squash|Fresh Zucchini Squash, per lb|1.48|1|lb|-|1.1
squash|Fresh Yellow Squash, per lb|1.48|1|lb|-|1.1
corn_cob|Fresh Sweet Corn on the Cob, Each|0.58|1|each|-|4
melons|Fresh Seedless Watermelon, Each|4.98|1|each|-|1
melons|Fresh Cantaloupe, Each|2.88|1|each|-|1
pineapple|Fresh Pineapple, Each|2.48|1|each|-|1
peaches|Fresh Yellow Peaches, per lb|1.97|1|lb|-|1.6
herbs|Fresh Cilantro Bunch, Each|0.68|1|each|-|1
## dairy & eggs
milk|Great Value Whole Vitamin D Milk, 1 Gallon, 128 fl oz|3.38|128|fl oz|milk|1
milk|Great Value 2% Reduced Fat Milk, 1 Gallon, 128 fl oz|3.38|128|fl oz|milk|1
milk|Great Value 1% Lowfat Milk, 1 Gallon, 128 fl oz|3.38|128|fl oz|milk|1
milk|Great Value Whole Vitamin D Milk, Half Gallon, 64 fl oz|2.12|64|fl oz|milk|1
milk|Fairlife 2% Reduced Fat Ultra-Filtered Milk, 52 fl oz|4.62|52|fl oz|-|1
milk|Horizon Organic Whole Milk, Half Gallon, 64 fl oz|5.48|64|fl oz|-|1
plant_milk|Silk Original Almond Milk, Half Gallon, 64 fl oz|3.38|64|fl oz|-|1
plant_milk|Oatly Original Oat Milk, Half Gallon, 64 fl oz|4.98|64|fl oz|-|1
eggs|Great Value Large White Eggs, 12 Count|4.97|12|ct|eggs|1
eggs|Great Value Large White Eggs, 18 Count|7.24|18|ct|eggs|1
eggs|Eggland's Best Large Grade A White Eggs, 12 Count|5.98|12|ct|eggs|1
eggs|Vital Farms Pasture-Raised Large Brown Eggs, 12 Count|7.97|12|ct|eggs|1
eggs|Marketside Cage Free Large Brown Eggs, 12 Count|5.46|12|ct|eggs|1
butter|Great Value Salted Butter Sticks, 1 lb|4.47|16|oz|butter|1
butter|Great Value Unsalted Butter Sticks, 1 lb|4.47|16|oz|butter|1
butter|Land O Lakes Salted Butter Sticks, 1 lb|5.97|16|oz|butter|1
cheese|Great Value Finely Shredded Mild Cheddar Cheese, 8 oz|2.22|8|oz|cheddar_cheese|1
cheese|Great Value Sharp Cheddar Cheese Block, 8 oz|2.22|8|oz|cheddar_cheese|1
cheese|Tillamook Medium Cheddar Cheese Block, 8 oz|3.48|8|oz|cheddar_cheese|1
cheese|Great Value Shredded Low-Moisture Part-Skim Mozzarella Cheese, 16 oz|3.97|16|oz|-|1
cheese|Great Value American Cheese Singles, 24 Count|2.84|24|ct|american_cheese|1
cheese|Kraft Singles American Cheese Slices, 24 Count|4.48|24|ct|american_cheese|1
cream_cheese|Philadelphia Original Cream Cheese, 8 oz Brick|2.98|8|oz|-|1
parmesan|Great Value Grated Parmesan Cheese, 8 oz|2.98|8|oz|-|1
yogurt|Chobani Plain Whole Milk Greek Yogurt, 32 oz Tub|5.97|32|oz|yogurt|1
yogurt|Great Value Vanilla Lowfat Yogurt, 32 oz|2.47|32|oz|yogurt|1
yogurt|Yoplait Original Strawberry Yogurt, 6 oz Cup|0.62|6|oz|yogurt|4
yogurt|Oikos Triple Zero Vanilla Greek Yogurt, 5.3 oz, 4 Count|4.97|21.2|oz|yogurt|1
yogurt|Dannon Light + Fit Vanilla Greek Yogurt, 5.3 oz, 6 Count|4.97|31.8|oz|yogurt|1
sour_cream|Daisy Pure and Natural Sour Cream, 16 oz|2.48|16|oz|-|1
sour_cream|Great Value Sour Cream, 16 oz|1.77|16|oz|-|1
creamer|Coffee mate Original Liquid Coffee Creamer, 32 fl oz|4.44|32|fl oz|-|1
creamer|Great Value French Vanilla Coffee Creamer, 32 fl oz|2.94|32|fl oz|-|1
cottage_cheese|Great Value 4% Small Curd Cottage Cheese, 24 oz|2.97|24|oz|-|1
cream|Great Value Heavy Whipping Cream, 16 fl oz|3.42|16|fl oz|-|1
## meat & seafood
ground_beef|Great Value 80% Lean/20% Fat Ground Beef, 1 lb Tray|5.24|16|oz|ground_beef|1
ground_beef|93% Lean/7% Fat Lean Ground Beef, 1 lb Tray|6.47|16|oz|ground_beef|1
ground_beef|73% Lean/27% Fat Ground Beef Family Pack, per lb|3.94|1|lb|ground_beef|3.0
ground_turkey|Great Value 93% Lean Ground Turkey, 16 oz|4.27|16|oz|-|1
chicken_breast|Boneless Skinless Chicken Breasts Family Pack, per lb|2.97|1|lb|chicken_breast|2.8
chicken_breast|Tyson Boneless Skinless Chicken Breasts, 2.5 lb Bag|10.48|40|oz|chicken_breast|1
chicken|Freshness Guaranteed Boneless Skinless Chicken Thighs, per lb|2.74|1|lb|-|2.2
chicken|Freshness Guaranteed Whole Fryer Chicken, per lb|1.58|1|lb|-|4.5
chicken|Freshness Guaranteed Chicken Wings, per lb|3.47|1|lb|-|2.5
chicken|Freshness Guaranteed Chicken Drumsticks, per lb|1.47|1|lb|-|3.0
bacon|Great Value Original Bacon, 16 oz|5.47|16|oz|bacon|1
bacon|Smithfield Hometown Original Bacon, 16 oz|6.47|16|oz|bacon|1
bacon|Oscar Mayer Naturally Hardwood Smoked Bacon, 16 oz|7.48|16|oz|bacon|1
pork_chops|Freshness Guaranteed Boneless Pork Loin Chops, per lb|3.48|1|lb|pork_chops|1.6
pork_chops|Bone-In Center Cut Pork Chops, per lb|2.97|1|lb|pork_chops|1.8
steak|USDA Choice Beef Top Round Steak, per lb|6.98|1|lb|steak|1.4
steak|USDA Choice Beef Top Sirloin Steak, per lb|9.97|1|lb|-|1.3
steak|USDA Choice Beef Ribeye Steak, per lb|13.97|1|lb|-|1.1
roast|USDA Choice Beef Bottom Round Roast, per lb|6.97|1|lb|round_roast|2.8
roast|USDA Choice Beef Chuck Roast, per lb|7.48|1|lb|-|2.6
stew_meat|USDA Choice Beef Stew Meat, 1 lb Tray|7.47|16|oz|beef_stew|1
ham|Great Value Boneless Ham Steak, 16 oz|4.46|16|oz|boneless_ham|1
ham|Hormel Cure 81 Boneless Half Ham, per lb|3.98|1|lb|boneless_ham|3.5
sausage|Johnsonville Original Breakfast Sausage Links, 12 oz|4.28|12|oz|-|1
sausage|Hillshire Farm Smoked Sausage Rope, 13 oz|3.97|13|oz|-|1
hot_dogs|Ball Park Beef Franks, 8 Count|4.67|8|ct|-|1
deli|Oscar Mayer Deli Fresh Oven Roasted Turkey Breast, 9 oz|4.98|9|oz|-|1
deli|Hillshire Farm Ultra Thin Honey Ham, 9 oz|4.98|9|oz|-|1
deli|Great Value Sliced Pepperoni, 6 oz|2.34|6|oz|-|1
salmon|Freshness Guaranteed Atlantic Salmon Fillet, per lb|8.97|1|lb|-|1.3
## bakery & bread
bread|Great Value White Sandwich Bread, 20 oz Loaf|1.42|20|oz|white_bread|1
bread|Great Value Honey Wheat Bread, 20 oz Loaf|1.42|20|oz|wheat_bread|1
bread|Great Value 100% Whole Wheat Bread, 20 oz Loaf|1.62|20|oz|wheat_bread|1
bread|Nature's Own Honey Wheat Bread, 20 oz Loaf|3.47|20|oz|wheat_bread|1
bread|Sara Lee Classic White Bread, 20 oz Loaf|2.98|20|oz|white_bread|1
bread|Wonder Classic White Bread, 20 oz Loaf|2.78|20|oz|white_bread|1
bread|Dave's Killer Bread 21 Whole Grains and Seeds, 27 oz Loaf|5.98|27|oz|wheat_bread|1
buns|Great Value Hamburger Buns, 8 Count|1.24|8|ct|-|1
buns|Great Value Hot Dog Buns, 8 Count|1.24|8|ct|-|1
bagels|Thomas' Plain Bagels, 6 Count|4.28|6|ct|-|1
english_muffins|Thomas' Original English Muffins, 6 Count|3.94|6|ct|-|1
tortillas|Mission Soft Taco Flour Tortillas, 10 Count|2.98|10|ct|-|1
tortillas|Great Value Flour Tortillas, 10 Count|1.48|10|ct|-|1
croissants|Freshness Guaranteed Butter Croissants, 12 Count|4.98|12|ct|-|1
muffins|Freshness Guaranteed Blueberry Muffins, 4 Count|3.98|4|ct|-|1
donuts|Freshness Guaranteed Glazed Donuts, 12 Count|4.98|12|ct|-|1
rolls|Freshness Guaranteed Dinner Rolls, 12 Count|2.28|12|ct|-|1
french_bread|Freshness Guaranteed French Bread, 16 oz|1.98|16|oz|-|1
cake|Freshness Guaranteed Iced Lemon Pound Cake, 16 oz|4.48|16|oz|-|1
## pantry
pasta|Great Value Spaghetti, 16 oz|1.00|16|oz|pasta|2
pasta|Great Value Penne Rigate, 16 oz|1.00|16|oz|pasta|2
pasta|Barilla Spaghetti Pasta, 16 oz|1.98|16|oz|pasta|1
pasta|Barilla Elbows Pasta, 16 oz|1.98|16|oz|pasta|1
mac_cheese|Kraft Original Macaroni & Cheese Dinner, 7.25 oz Box|1.12|7.25|oz|-|3
mac_cheese|Great Value Original Macaroni & Cheese, 7.25 oz Box|0.64|7.25|oz|-|4
pasta_sauce|Ragu Old World Style Traditional Pasta Sauce, 24 oz|2.48|24|oz|-|1
pasta_sauce|Prego Traditional Italian Sauce, 24 oz|2.64|24|oz|-|1
pasta_sauce|Great Value Traditional Pasta Sauce, 24 oz|1.48|24|oz|-|1
rice|Great Value Long Grain Enriched Rice, 32 oz|2.12|32|oz|rice|1
rice|Mahatma Extra Long Grain White Rice, 5 lb Bag|4.98|80|oz|rice|1
rice|Ben's Original Ready Rice Original Long Grain, 8.8 oz Pouch|2.12|8.8|oz|-|2
flour|Great Value All Purpose Flour, 5 lb Bag|2.92|80|oz|flour|1
flour|Gold Medal All Purpose Flour, 5 lb Bag|3.68|80|oz|flour|1
sugar|Great Value Pure Granulated Sugar, 4 lb Bag|3.34|64|oz|sugar|1
sugar|Domino Premium Pure Cane Granulated Sugar, 4 lb Bag|4.47|64|oz|sugar|1
brown_sugar|Great Value Light Brown Sugar, 32 oz|2.47|32|oz|-|1
dried_beans|Great Value Dry Pinto Beans, 2 lb Bag|2.46|32|oz|dried_beans|1
dried_beans|Great Value Dry Black Beans, 2 lb Bag|2.67|32|oz|dried_beans|1
canned_beans|Bush's Best Original Baked Beans, 28 oz Can|2.74|28|oz|-|1
canned_beans|Great Value Black Beans, 15.25 oz Can|0.78|15.25|oz|-|2
canned_corn|Great Value Whole Kernel Golden Sweet Corn, 15.25 oz Can|0.62|15.25|oz|canned_corn|3
canned_corn|Del Monte Golden Sweet Whole Kernel Corn, 15.25 oz Can|1.18|15.25|oz|canned_corn|2
canned_corn|Green Giant Whole Kernel Sweet Corn, 15.25 oz Can|1.26|15.25|oz|canned_corn|2
canned_veg|Great Value Cut Green Beans, 14.5 oz Can|0.62|14.5|oz|-|3
canned_tomatoes|Hunt's Diced Tomatoes, 14.5 oz Can|1.18|14.5|oz|-|2
canned_tomatoes|Great Value Tomato Sauce, 15 oz Can|0.74|15|oz|-|2
soup|Campbell's Condensed Chicken Noodle Soup, 10.75 oz Can|1.38|10.75|oz|-|3
soup|Campbell's Condensed Tomato Soup, 10.75 oz Can|1.14|10.75|oz|-|2
soup|Progresso Traditional Chicken Noodle Soup, 19 oz Can|2.77|19|oz|-|2
broth|Great Value Chicken Broth, 32 oz Carton|1.72|32|oz|-|1
tuna|StarKist Chunk Light Tuna in Water, 5 oz Can|1.14|5|oz|-|3
tuna|Great Value Chunk Light Tuna in Water, 5 oz Can|0.92|5|oz|-|4
peanut_butter|Jif Creamy Peanut Butter, 16 oz Jar|3.24|16|oz|-|1
peanut_butter|Great Value Creamy Peanut Butter, 40 oz Jar|4.98|40|oz|-|1
peanut_butter|Skippy Creamy Peanut Butter, 16.3 oz Jar|2.98|16.3|oz|-|1
jelly|Smucker's Concord Grape Jelly, 32 oz Jar|3.28|32|oz|-|1
jelly|Great Value Strawberry Preserves, 18 oz Jar|2.42|18|oz|-|1
cereal|Original Cheerios Heart Healthy Cereal, 8.9 oz Box|3.58|8.9|oz|-|1
cereal|Kellogg's Frosted Flakes Breakfast Cereal, 13.5 oz Box|4.28|13.5|oz|-|1
cereal|Great Value Toasted Whole Grain Oat Cereal, 14 oz Box|2.18|14|oz|-|1
cereal|Post Honey Bunches of Oats with Almonds Cereal, 14.5 oz Box|4.12|14.5|oz|-|1
oats|Quaker Old Fashioned Oats, 42 oz Canister|5.68|42|oz|-|1
oats|Great Value Quick Oats, 42 oz Canister|3.76|42|oz|-|1
syrup|Great Value Original Syrup, 24 fl oz|2.12|24|fl oz|-|1
pancake_mix|Great Value Buttermilk Complete Pancake Mix, 32 oz|2.28|32|oz|-|1
oil|Great Value Vegetable Oil, 48 fl oz|3.74|48|fl oz|-|1
oil|Great Value Extra Virgin Olive Oil, 17 fl oz|6.47|17|fl oz|-|1
cooking_spray|Great Value Original Canola Cooking Spray, 8 oz|2.42|8|oz|-|1
ketchup|Heinz Tomato Ketchup, 32 oz Bottle|4.28|32|oz|-|1
mustard|French's Classic Yellow Mustard, 14 oz|1.97|14|oz|-|1
mayonnaise|Hellmann's Real Mayonnaise, 30 fl oz Jar|5.98|30|fl oz|-|1
mayonnaise|Great Value Mayonnaise, 30 fl oz Jar|3.48|30|fl oz|-|1
dressing|Hidden Valley Original Ranch Dressing, 16 fl oz|3.48|16|fl oz|-|1
salt|Morton Iodized Salt, 26 oz|1.48|26|oz|-|1
spices|Great Value Ground Black Pepper, 3 oz|1.98|3|oz|-|1
spices|McCormick Garlic Powder, 3.12 oz|3.48|3.12|oz|-|1
baking|Great Value Baking Soda, 16 oz|0.98|16|oz|-|1
baking|Great Value Semi-Sweet Chocolate Chips, 12 oz|2.48|12|oz|-|1
honey|Great Value Clover Honey, 12 oz Bear|3.48|12|oz|-|1
salsa|Tostitos Chunky Medium Salsa, 15.5 oz Jar|3.98|15.5|oz|-|1
ramen|Maruchan Ramen Noodle Soup Chicken Flavor, 3 oz, 12 Count|3.48|36|oz|-|1
rice_sides|Knorr Rice Sides Chicken Flavor, 5.6 oz|1.38|5.6|oz|-|2
## frozen
pizza|DiGiorno Rising Crust Pepperoni Frozen Pizza, 27.5 oz|7.48|27.5|oz|-|1
pizza|Great Value Rising Crust Pepperoni Pizza, 29.3 oz|4.97|29.3|oz|-|1
pizza|Totino's Pepperoni Party Pizza, 9.8 oz|1.58|9.8|oz|-|3
ice_cream|Blue Bell Homemade Vanilla Ice Cream, Half Gallon, 64 fl oz|6.48|64|fl oz|ice_cream|1
ice_cream|Great Value Vanilla Ice Cream, 48 fl oz|2.97|48|fl oz|ice_cream|1
ice_cream|Breyers Natural Vanilla Ice Cream, 48 fl oz|4.48|48|fl oz|ice_cream|1
ice_cream|Ben & Jerry's Chocolate Chip Cookie Dough Ice Cream, 16 fl oz|5.28|16|fl oz|-|1
frozen_veg|Great Value Frozen Sweet Peas, 12 oz Bag|1.12|12|oz|-|2
frozen_veg|Great Value Frozen Broccoli Florets, 12 oz Bag|1.24|12|oz|-|2
frozen_veg|Great Value Frozen Mixed Vegetables, 12 oz Bag|1.12|12|oz|-|2
frozen_veg|Green Giant Steamers Broccoli & Cheese Sauce, 10 oz|1.98|10|oz|-|1
fries|Ore-Ida Golden Crinkles French Fries, 32 oz Bag|4.48|32|oz|-|1
fries|Great Value Shoestring French Fries, 32 oz Bag|2.98|32|oz|-|1
nuggets|Tyson Fully Cooked Chicken Nuggets, 32 oz Bag|9.98|32|oz|-|1
nuggets|Great Value Breaded Chicken Breast Nuggets, 32 oz Bag|7.48|32|oz|-|1
waffles|Eggo Homestyle Waffles, 10 Count|2.98|10|ct|-|1
frozen_meals|Stouffer's Classics Lasagna with Meat & Sauce, 19 oz|4.98|19|oz|-|1
frozen_meals|Lean Cuisine Favorites Macaroni and Cheese, 10 oz|2.58|10|oz|-|2
frozen_meals|Hot Pockets Pepperoni Pizza Frozen Snacks, 2 Count|2.64|2|ct|-|2
frozen_meals|Marie Callender's Chicken Pot Pie, 15 oz|3.52|15|oz|-|1
frozen_meals|Great Value Beef & Bean Burritos, 8 Count|3.28|8|ct|-|1
frozen_fruit|Great Value Frozen Whole Strawberries, 16 oz Bag|2.98|16|oz|-|1
frozen_fruit|Great Value Frozen Mixed Berries, 48 oz Bag|7.88|48|oz|-|1
frozen_oj|Minute Maid Frozen Concentrated Orange Juice, 12 fl oz|2.38|12|fl oz|frozen_orange_juice|1
seafood|Great Value Frozen Cooked Medium Shrimp, 12 oz Bag|5.97|12|oz|-|1
seafood|Great Value Frozen Tilapia Fillets, 32 oz Bag|8.97|32|oz|-|1
ice|Great Value Ice Cubes, 10 lb Bag|2.47|160|oz|-|1
## snacks
chips|Lay's Classic Potato Chips, 8 oz Bag|4.28|8|oz|-|1
chips|Great Value Original Potato Chips, 10 oz Bag|2.48|10|oz|-|1
chips|Doritos Nacho Cheese Tortilla Chips, 9.25 oz Bag|5.28|9.25|oz|-|1
chips|Pringles Original Potato Crisps, 5.2 oz Can|2.28|5.2|oz|-|1
chips|Cheetos Crunchy Cheese Flavored Snacks, 8 oz Bag|4.98|8|oz|-|1
chips|Tostitos Scoops! Tortilla Chips, 10 oz Bag|5.28|10|oz|-|1
crackers|Ritz Original Crackers, 13.7 oz Box|4.48|13.7|oz|-|1
crackers|Goldfish Cheddar Cheese Crackers, 6.6 oz Bag|2.48|6.6|oz|-|1
crackers|Great Value Saltine Crackers, 16 oz Box|1.94|16|oz|-|1
cookies|Chips Ahoy! Original Chocolate Chip Cookies, 13 oz|4.48|13|oz|cookies|1
cookies|Great Value Chocolate Chip Cookies, 13 oz|2.28|13|oz|cookies|1
cookies|Oreo Chocolate Sandwich Cookies, Family Size, 18.12 oz|5.48|18.12|oz|-|1
popcorn|Orville Redenbacher's Butter Microwave Popcorn, 3.29 oz, 6 Count|4.98|19.74|oz|-|1
pretzels|Snyder's of Hanover Mini Pretzels, 16 oz Bag|3.98|16|oz|-|1
nuts|Great Value Lightly Salted Dry Roasted Peanuts, 16 oz Jar|2.88|16|oz|-|1
nuts|Blue Diamond Whole Natural Almonds, 16 oz Bag|6.98|16|oz|-|1
bars|Nature Valley Crunchy Oats 'n Honey Granola Bars, 1.49 oz, 12 Count|3.98|17.88|oz|-|1
bars|Kellogg's Nutri-Grain Strawberry Soft Baked Breakfast Bars, 1.3 oz, 8 Count|3.28|10.4|oz|-|1
fruit_snacks|Welch's Mixed Fruit Fruit Snacks, 0.8 oz, 22 Count|5.98|17.6|oz|-|1
candy|M&M's Milk Chocolate Candy, Sharing Size, 10.7 oz Bag|4.98|10.7|oz|-|1
applesauce|Great Value Original Applesauce Cups, 4 oz, 6 Count|1.98|24|oz|-|1
pudding|Snack Pack Chocolate Pudding Cups, 3.25 oz, 4 Count|1.64|13|oz|-|1
jerky|Jack Link's Original Beef Jerky, 2.85 oz|5.98|2.85|oz|-|1
## beverages
coffee|Folgers Classic Roast Ground Coffee, 25.9 oz Canister|12.98|25.9|oz|coffee|1
coffee|Great Value Classic Roast Medium Ground Coffee, 30.5 oz|9.47|30.5|oz|coffee|1
coffee|Maxwell House Original Roast Ground Coffee, 30.6 oz|10.98|30.6|oz|coffee|1
coffee|Starbucks Pike Place Roast Ground Coffee, 12 oz Bag|8.97|12|oz|coffee|1
coffee|Dunkin' Original Blend Ground Coffee, 12 oz Bag|8.47|12|oz|coffee|1
coffee_pods|Great Value Medium Roast Coffee Pods, 24 Count|9.47|24|ct|-|1
tea|Lipton Black Tea Bags, 100 Count|4.68|100|ct|-|1
sweet_tea|Milo's Famous Sweet Tea, 1 Gallon, 128 fl oz|3.48|128|fl oz|-|1
soda|Coca-Cola Classic Soda Pop, 12 fl oz, 12 Count|7.48|144|fl oz|soft_drinks_12pk|1
soda|Pepsi Cola Soda Pop, 12 fl oz, 12 Count|7.28|144|fl oz|soft_drinks_12pk|1
soda|Dr Pepper Soda Pop, 12 fl oz, 12 Count|7.28|144|fl oz|soft_drinks_12pk|1
soda_2l|Coca-Cola Classic Soda Pop, 2 Liter Bottle|2.48|67.6|fl oz|soft_drinks_2l|1
soda_2l|Sprite Lemon Lime Soda Pop, 2 Liter Bottle|2.48|67.6|fl oz|soft_drinks_2l|1
soda_2l|Great Value Cola, 2 Liter Bottle|1.12|67.6|fl oz|soft_drinks_2l|1
water|Great Value Purified Drinking Water, 16.9 fl oz, 24 Count|3.98|405.6|fl oz|-|1
water|Pure Life Purified Water, 16.9 fl oz, 24 Count|4.48|405.6|fl oz|-|1
sparkling_water|LaCroix Pure Sparkling Water, 12 fl oz, 8 Count|4.48|96|fl oz|-|1
juice|Tropicana Pure Premium Original No Pulp Orange Juice, 52 fl oz|4.98|52|fl oz|-|1
juice|Simply Orange Pulp Free Orange Juice, 52 fl oz|4.48|52|fl oz|-|1
juice|Great Value No Pulp Orange Juice, 52 fl oz|3.28|52|fl oz|-|1
juice|Great Value 100% Apple Juice, 96 fl oz|3.12|96|fl oz|-|1
sports_drinks|Gatorade Thirst Quencher Fruit Punch, 20 fl oz, 8 Count|7.48|160|fl oz|-|1
sports_drinks|Gatorade Thirst Quencher Cool Blue, 28 fl oz Bottle|1.78|28|fl oz|-|2
lemonade|Minute Maid Lemonade, 59 fl oz|2.68|59|fl oz|-|1
energy_drinks|Monster Energy Original, 16 fl oz Can|2.48|16|fl oz|-|2
## household
paper_towels|Bounty Select-A-Size Paper Towels, 6 Double Rolls|15.97|6|ct|-|1
paper_towels|Great Value Ultra Strong Paper Towels, 6 Double Rolls|8.97|6|ct|-|1
toilet_paper|Charmin Ultra Soft Toilet Paper, 12 Mega Rolls|19.97|12|ct|-|1
toilet_paper|Great Value Ultra Soft Toilet Paper, 12 Mega Rolls|9.97|12|ct|-|1
toilet_paper|Cottonelle Ultra Clean Toilet Paper, 12 Family Mega Rolls|14.97|12|ct|-|1
tissues|Kleenex Original Facial Tissues, 3 Count|5.48|3|ct|-|1
laundry|Tide Original Liquid Laundry Detergent, 92 fl oz|12.97|92|fl oz|-|1
laundry|Gain Original Liquid Laundry Detergent, 88 fl oz|11.97|88|fl oz|-|1
laundry|Great Value Free & Clear Liquid Laundry Detergent, 100 fl oz|6.97|100|fl oz|-|1
fabric_softener|Downy Ultra April Fresh Fabric Softener, 90 fl oz|8.97|90|fl oz|-|1
dishwasher|Cascade Complete ActionPacs Dishwasher Detergent, 43 Count|12.97|43|ct|-|1
dish_soap|Dawn Ultra Original Dishwashing Liquid Dish Soap, 19.4 fl oz|3.97|19.4|fl oz|-|1
dish_soap|Great Value Ultra Original Dish Soap, 24 fl oz|1.97|24|fl oz|-|1
trash_bags|Glad ForceFlex Tall Kitchen Drawstring Trash Bags, 40 Count|9.97|40|ct|-|1
trash_bags|Great Value Tall Kitchen Drawstring Trash Bags, 50 Count|6.97|50|ct|-|1
foil|Reynolds Wrap Standard Aluminum Foil, 75 sq ft|4.97|-|-|-|1
food_bags|Ziploc Sandwich Bags, 90 Count|3.97|90|ct|-|1
wipes|Clorox Disinfecting Wipes, Fresh Scent, 75 Count|5.97|75|ct|-|1
cleaner|Lysol Disinfectant Spray, Crisp Linen, 19 oz|6.97|19|oz|-|1
cleaner|Great Value Original Scent Concentrated Bleach, 121 fl oz|3.48|121|fl oz|-|1
sponges|Scotch-Brite Heavy Duty Scrub Sponges, 6 Count|5.97|6|ct|-|1
batteries|Duracell Coppertop AA Batteries, 8 Count|9.97|8|ct|-|1
batteries|Energizer MAX AAA Batteries, 8 Count|9.97|8|ct|-|1
napkins|Great Value Everyday Napkins, 250 Count|2.48|250|ct|-|1
plates|Great Value Everyday Paper Plates, 100 Count|3.97|100|ct|-|1
candles|Mainstays Vanilla Scented Jar Candle, 11.5 oz|3.97|11.5|oz|-|1
cloths|Mainstays Microfiber Cleaning Cloths, 12 Count|6.97|12|ct|-|1
## personal care
toothpaste|Crest Pro-Health Advanced Toothpaste, 5.1 oz|4.97|5.1|oz|-|1
toothpaste|Colgate Cavity Protection Toothpaste, 6 oz|1.97|6|oz|-|1
toothbrushes|Equate Soft Toothbrushes, 4 Count|2.48|4|ct|-|1
shampoo|Equate Everyday Clean Shampoo and Conditioner, 28.2 fl oz|3.97|28.2|fl oz|-|1
shampoo|Head & Shoulders Classic Clean Dandruff Shampoo, 13.5 fl oz|7.97|13.5|fl oz|-|1
body_wash|Dove Deep Moisture Body Wash, 20 fl oz|7.97|20|fl oz|-|1
bar_soap|Dove Beauty Bar, 3.75 oz, 8 Count|11.97|30|oz|-|1
deodorant|Old Spice Swagger Antiperspirant Deodorant, 2.6 oz|5.47|2.6|oz|-|1
razors|Gillette Mach3 Razor Blade Refills, 8 Count|19.97|8|ct|-|1
lotion|Equate Daily Moisturizing Lotion, 18 fl oz|3.97|18|fl oz|-|1
pain_relief|Equate Ibuprofen Tablets, 200 mg, 100 Count|3.96|100|ct|-|1
pain_relief|Equate Extra Strength Acetaminophen Caplets, 500 mg, 100 Count|2.97|100|ct|-|1
allergy|Equate Allergy Relief Loratadine Tablets, 10 mg, 30 Count|3.48|30|ct|-|1
bandages|Equate Flexible Fabric Bandages, 30 Count|2.97|30|ct|-|1
cotton_swabs|Equate Cotton Swabs, 500 Count|2.47|500|ct|-|1
hand_soap|Softsoap Liquid Hand Soap, Soothing Aloe Vera, 7.5 fl oz|1.47|7.5|fl oz|-|2
vitamins|Equate Adult Gummy Multivitamins, 200 Count|9.97|200|ct|-|1
## baby
diapers|Parent's Choice Diapers, Size 4, 120 Count|24.97|120|ct|-|1
diapers|Pampers Cruisers Diapers, Size 4, 92 Count|38.97|92|ct|-|1
baby_wipes|Parent's Choice Fragrance Free Baby Wipes, 240 Count|5.97|240|ct|-|1
baby_wipes|Huggies Natural Care Sensitive Baby Wipes, 168 Count|5.97|168|ct|-|1
baby_food|Gerber 2nd Foods Banana Baby Food, 4 oz, 2 Count|1.78|8|oz|-|3
baby_snacks|Gerber Puffs Strawberry Apple Cereal Snack, 1.48 oz|2.48|1.48|oz|-|2
## pets
dog_food|Ol' Roy Complete Nutrition Adult Dry Dog Food, 50 lb Bag|24.97|800|oz|-|1
dog_food|Pedigree Complete Nutrition Roasted Chicken Dry Dog Food, 30 lb Bag|25.48|480|oz|-|1
dog_treats|Milk-Bone Original Dog Biscuits, 24 oz Box|4.98|24|oz|-|1
cat_food|Friskies Pate Wet Cat Food Variety Pack, 5.5 oz, 24 Count|16.97|132|oz|-|1
cat_food|Special Kitty Original Formula Dry Cat Food, 18 lb Bag|11.47|288|oz|-|1
cat_food|Meow Mix Original Choice Dry Cat Food, 6.3 lb Bag|9.97|100.8|oz|-|1
cat_litter|Special Kitty Unscented Clumping Clay Cat Litter, 25 lb Jug|6.97|400|oz|-|1
## alcohol
beer|Bud Light Lager Beer, 12 fl oz, 12 Count|13.48|144|fl oz|beer|1
beer|Michelob Ultra Light Beer, 12 fl oz, 12 Count|14.98|144|fl oz|beer|1
beer|Coors Light Lager Beer, 12 fl oz, 12 Count|13.48|144|fl oz|beer|1
beer|Budweiser Lager Beer, 12 fl oz, 12 Count|13.48|144|fl oz|beer|1
wine|Barefoot Cabernet Sauvignon Red Wine, 750 ml Bottle|6.48|25.4|fl oz|wine|1
wine|Barefoot Pinot Grigio White Wine, 750 ml Bottle|6.48|25.4|fl oz|wine|1
wine|Sutter Home Moscato White Wine, 1.5 L Bottle|10.97|50.7|fl oz|wine|1
wine|Josh Cellars Cabernet Sauvignon Red Wine, 750 ml Bottle|13.97|25.4|fl oz|wine|1
hard_seltzer|White Claw Hard Seltzer Variety Pack, 12 fl oz, 12 Count|17.98|144|fl oz|-|1
"""


@dataclass(frozen=True, slots=True)
class CatalogueProduct:
    """One product the generator can sell, with its regular March 2025 price."""

    kind: str
    name: str
    us_item_id: str
    price_cents: int
    size_value: float | None
    size_unit: str | None
    category: str
    bls_item: str | None
    typical_quantity: float

    @property
    def sold_by_weight(self) -> bool:
        """Priced per pound; the line quantity is the weight in pounds."""
        return self.size_unit == "lb"


def _us_item_id(name: str) -> str:
    # Stable across runs and machines: a hash of the name, 8-9 digits like Walmart's ids.
    digest = int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big")
    return str(10_000_000 + digest % 890_000_000)


def _parse_catalogue(text: str) -> tuple[CatalogueProduct, ...]:
    products: list[CatalogueProduct] = []
    category = "other"
    for raw in text.strip().splitlines():
        if raw.startswith("## "):
            category = raw[3:].strip()
            if category not in CATEGORIES:
                raise ValueError(f"catalogue category {category!r} is not in the taxonomy")
            continue
        kind, name, price, size, unit, bls, quantity = raw.split("|")
        if bls != "-" and bls not in BLS_ITEMS:
            raise ValueError(f"catalogue: unknown BLS item {bls!r} for {name!r}")
        products.append(
            CatalogueProduct(
                kind=kind,
                name=name,
                us_item_id=_us_item_id(name),
                price_cents=round(float(price) * 100),
                size_value=None if size == "-" else float(size),
                size_unit=None if unit == "-" else unit,
                category=category,
                bls_item=None if bls == "-" else bls,
                typical_quantity=float(quantity),
            )
        )
    ids = [p.us_item_id for p in products]
    if len(set(ids)) != len(ids) or len({p.name for p in products}) != len(products):
        raise ValueError("catalogue names and usItemIds must be unique")
    return tuple(products)


#: The generator's products, in catalogue order.
CATALOGUE: tuple[CatalogueProduct, ...] = _parse_catalogue(_CATALOGUE_TEXT)


@dataclass(frozen=True, slots=True)
class GeneratorStore:
    """A store the synthetic household shops at (fictional street addresses)."""

    walmart_store_id: str
    name: str
    address: str
    city: str
    state: str
    zip: str
    #: Multiplier on every shelf price: a small, consistent store offset.
    price_factor: float
    #: Combined state + local sales tax on general merchandise.
    tax_rate: float
    #: Local tax on unprepared food (South Carolina exempts it from the 6% state tax).
    food_tax_rate: float


STORES: tuple[GeneratorStore, ...] = (
    GeneratorStore(
        "1284",
        "Spartanburg Supercenter",
        "2151 E Main St",
        "Spartanburg",
        "SC",
        "29307",
        1.000,
        0.07,
        0.01,
    ),
    GeneratorStore(
        "2745",
        "Greenville Supercenter",
        "1450 Woodruff Rd",
        "Greenville",
        "SC",
        "29607",
        0.990,
        0.06,
        0.00,
    ),
    GeneratorStore(
        "1373",
        "Greer Supercenter",
        "14120 E Wade Hampton Blvd",
        "Greer",
        "SC",
        "29651",
        1.005,
        0.06,
        0.00,
    ),
    GeneratorStore(
        "3517",
        "Simpsonville Supercenter",
        "3925 Grandview Dr",
        "Simpsonville",
        "SC",
        "29680",
        0.995,
        0.06,
        0.00,
    ),
    GeneratorStore(
        "628",
        "Anderson Supercenter",
        "3812 Clemson Blvd",
        "Anderson",
        "SC",
        "29621",
        0.985,
        0.07,
        0.01,
    ),
    GeneratorStore(
        "2862",
        "Mount Pleasant Supercenter",
        "3000 N Highway 17",
        "Mount Pleasant",
        "SC",
        "29466",
        1.030,
        0.09,
        0.03,
    ),
)


@dataclass(frozen=True)
class Household:
    """How the synthetic household shops: cadence, stores, staples and mishaps."""

    #: Staple kinds and the mean days between purchases (on the household's own clock).
    staple_cycles: dict[str, float]
    #: Probability of each store in :data:`STORES`.
    store_weights: tuple[float, ...] = (0.38, 0.15, 0.22, 0.12, 0.08, 0.05)
    #: Probability of in-store, pickup and delivery orders.
    fulfillment_weights: tuple[float, float, float] = (0.35, 0.40, 0.25)
    #: Mean number of non-staple lines per order.
    extra_lines: float = 4.0
    #: Gamma shape of the household's taste per product: smaller means fewer favourites.
    preference_shape: float = 0.6
    #: Share of a staple's purchases that go to the second-choice product of its kind.
    secondary_share: float = 0.15
    order_gap_days: float = 7.0
    # Per-line probabilities (unavailable, substituted, canceled on online orders only).
    p_unavailable: float = 0.015
    p_substituted: float = 0.015
    p_canceled: float = 0.007
    p_refunded: float = 0.004
    #: Share of weighed lines on online orders whose charge was adjusted to the weight.
    p_weight_adjusted: float = 0.5
    #: Share of product-months on rollback.
    p_rollback: float = 0.06
    #: Share of delivery orders with a driver tip.
    p_tip: float = 0.85


DEFAULT_HOUSEHOLD = Household(
    staple_cycles={
        "milk": 8,
        "bananas": 8,
        "eggs": 12,
        "bread": 10,
        "butter": 28,
        "cheese": 18,
        "yogurt": 16,
        "coffee": 28,
        "apples": 16,
        "ground_beef": 18,
        "chicken_breast": 16,
        "pasta": 30,
        "cereal": 24,
        "salad": 18,
        "toilet_paper": 35,
        "laundry": 50,
    },
    extra_lines=3.5,
)

#: The bundled sample's household: a few staples, much variety (25 orders, 161 products).
SAMPLE_HOUSEHOLD = Household(
    staple_cycles={"milk": 12, "bananas": 14, "eggs": 16, "bread": 16, "coffee": 60},
    store_weights=(0.28, 0.2, 0.2, 0.14, 0.1, 0.08),
    extra_lines=6.0,
    preference_shape=2.0,
    secondary_share=0.1,
    p_unavailable=0.02,
    p_substituted=0.02,
    p_canceled=0.01,
    p_refunded=0.006,
)

#: What :func:`build_sample` guarantees (and tests check).
SAMPLE_COUNTS = {"orders": 25, "products": 161, "lines": 229, "stores": 6}
_SAMPLE_SEED = 20250301
_SAMPLE_START = date(2025, 3, 1)
_SAMPLE_END = date(2025, 8, 30)
_SAMPLE_STAPLE_MINIMUM = {"milk": 8, "bananas": 8, "eggs": 8, "bread": 8}


@dataclass(frozen=True, slots=True)
class GenerateResult:
    """What :func:`write_dataset` wrote."""

    path: Path
    orders: int
    lines: int


# ---------------------------------------------------------------------------------------------
# Catalogue as arrays


@dataclass(frozen=True)
class _Arrays:
    price: np.ndarray  # int64 cents
    by_weight: np.ndarray  # bool
    general: np.ndarray  # bool: taxed at the general rate
    typical: np.ndarray  # float
    kind: np.ndarray  # int
    popularity: np.ndarray  # float
    kind_names: tuple[str, ...]
    kind_start: np.ndarray  # first index of each kind in kind_members
    kind_count: np.ndarray
    kind_members: np.ndarray  # product indices grouped by kind
    kind_position: np.ndarray  # each product's position inside its kind's block


# Relative chance that a random basket line is from a category.
_CATEGORY_WEIGHT = {
    "produce": 1.4,
    "dairy & eggs": 1.3,
    "meat & seafood": 1.0,
    "bakery & bread": 0.9,
    "pantry": 1.0,
    "frozen": 0.9,
    "snacks": 1.0,
    "beverages": 1.0,
    "household": 0.6,
    "personal care": 0.45,
    "baby": 0.25,
    "pets": 0.35,
    "alcohol": 0.35,
    "other": 0.2,
}


@lru_cache(maxsize=1)
def _arrays() -> _Arrays:
    kinds = sorted({p.kind for p in CATALOGUE})
    kind_index = {k: i for i, k in enumerate(kinds)}
    kind = np.array([kind_index[p.kind] for p in CATALOGUE], dtype=np.int64)
    members = np.argsort(kind, kind="stable")
    count = np.bincount(kind, minlength=len(kinds))
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    position = np.empty(len(CATALOGUE), dtype=np.int64)
    position[members] = np.arange(len(CATALOGUE)) - np.repeat(start, count)
    category_count = Counter(p.category for p in CATALOGUE)
    popularity = np.array(
        [_CATEGORY_WEIGHT[p.category] / category_count[p.category] * 30 for p in CATALOGUE]
    )
    return _Arrays(
        price=np.array([p.price_cents for p in CATALOGUE], dtype=np.int64),
        by_weight=np.array([p.sold_by_weight for p in CATALOGUE]),
        general=np.array([p.category in _GENERAL_MERCHANDISE for p in CATALOGUE]),
        typical=np.array([p.typical_quantity for p in CATALOGUE]),
        kind=kind,
        popularity=popularity,
        kind_names=tuple(kinds),
        kind_start=start,
        kind_count=count,
        kind_members=members,
        kind_position=position,
    )


# ---------------------------------------------------------------------------------------------
# Planning orders and lines


@dataclass
class _Orders:
    vday: np.ndarray  # float: the household's own clock, in days
    day: np.ndarray  # int: days after ``start``
    minute: np.ndarray  # int: minute of the day, local time
    store: np.ndarray  # int index into STORES
    fulfillment: np.ndarray  # int code
    start: date

    @property
    def n(self) -> int:
        return int(self.vday.shape[0])


@dataclass
class _Lines:
    order: np.ndarray
    product: np.ndarray
    quantity: np.ndarray  # float; whole numbers for items sold each
    status: np.ndarray
    substitute_for: np.ndarray  # product index or -1
    weight_adjusted: np.ndarray
    staple: np.ndarray

    @property
    def n(self) -> int:
        return int(self.order.shape[0])

    def take(self, index: np.ndarray) -> _Lines:
        return _Lines(
            self.order[index],
            self.product[index],
            self.quantity[index],
            self.status[index],
            self.substitute_for[index],
            self.weight_adjusted[index],
            self.staple[index],
        )

    @staticmethod
    def concat(parts: list[_Lines]) -> _Lines:
        return _Lines(
            *(
                np.concatenate([getattr(p, name) for p in parts])
                for name in (
                    "order",
                    "product",
                    "quantity",
                    "status",
                    "substitute_for",
                    "weight_adjusted",
                    "staple",
                )
            )
        )


def _new_lines(
    order: np.ndarray, product: np.ndarray, quantity: np.ndarray, staple: bool | np.ndarray
) -> _Lines:
    n = order.shape[0]
    return _Lines(
        order.astype(np.int64),
        product.astype(np.int64),
        quantity.astype(np.float64),
        np.zeros(n, dtype=np.int8),
        np.full(n, -1, dtype=np.int64),
        np.zeros(n, dtype=bool),
        np.broadcast_to(np.asarray(staple, dtype=bool), (n,)).copy(),
    )


def _plan_orders(
    rng: np.random.Generator, n: int, start: date, end: date, household: Household
) -> _Orders:
    gaps = rng.gamma(3.0, household.order_gap_days / 3.0, n)
    gaps[0] = 0.0
    vday = np.cumsum(gaps)
    span = (end - start).days
    if n > 1 and vday[-1] > 0:
        # The household's weekly-ish rhythm, stretched or squeezed onto the requested dates.
        day = np.minimum(np.floor(vday / vday[-1] * (span + 0.999)), span).astype(np.int64)
    else:
        day = np.full(n, span, dtype=np.int64)
    store = rng.choice(len(STORES), size=n, p=np.asarray(household.store_weights))
    fulfillment = rng.choice(3, size=n, p=np.asarray(household.fulfillment_weights))
    # In store 9:00-20:59, online orders placed 7:00-21:59.
    minute = np.where(
        fulfillment == _IN_STORE,
        rng.integers(9 * 60, 21 * 60, n),
        rng.integers(7 * 60, 22 * 60, n),
    )
    return _Orders(vday, day, minute, store.astype(np.int64), fulfillment.astype(np.int64), start)


def _quantities(rng: np.random.Generator, product: np.ndarray, arrays: _Arrays) -> np.ndarray:
    n = product.shape[0]
    typical = arrays.typical[product]
    each_one = 1.0 + (rng.random(n) < 0.18) + (rng.random(n) < 0.04)
    each_many = np.maximum(1.0, np.rint(typical * rng.uniform(0.6, 1.4, n)))
    each = np.where(typical <= 1.0, each_one, each_many)
    weighed = np.round(np.maximum(0.25, typical * rng.lognormal(0.0, 0.18, n)), 2)
    return np.where(arrays.by_weight[product], weighed, each)


def _pick(rng: np.random.Generator, candidates: np.ndarray, weights: np.ndarray) -> int:
    return int(rng.choice(candidates, p=weights / weights.sum()))


def _plan_lines(
    rng: np.random.Generator, orders: _Orders, household: Household, arrays: _Arrays
) -> _Lines:
    n, vday = orders.n, orders.vday
    parts: list[_Lines] = []
    staple_kinds = [arrays.kind_names.index(k) for k in household.staple_cycles]
    for kind_name, kind in zip(household.staple_cycles, staple_kinds, strict=True):
        cycle = float(household.staple_cycles[kind_name])
        members = arrays.kind_members[
            arrays.kind_start[kind] : arrays.kind_start[kind] + arrays.kind_count[kind]
        ]
        # The kind's first catalogue entry (its everyday store-brand pick) is the likeliest.
        favour = arrays.popularity[members] * np.where(np.arange(members.shape[0]) == 0, 3.0, 1.0)
        primary = _pick(rng, members, favour)
        others = members[members != primary]
        secondary = _pick(rng, others, arrays.popularity[others]) if others.size else primary
        # A renewal process on the household's clock: the next purchase falls on the first
        # order at or after the item is due.
        count = int((vday[-1] - vday[0]) / cycle * 1.5) + 3
        gaps = cycle * rng.gamma(8.0, 1.0 / 8.0, count)
        due = vday[0] + rng.uniform(0.0, cycle) + np.concatenate(([0.0], np.cumsum(gaps[:-1])))
        due = due[due <= vday[-1]]
        order = np.unique(np.searchsorted(vday, due, side="left"))
        order = order[order < n]
        product = np.where(
            rng.random(order.shape[0]) < household.secondary_share, secondary, primary
        )
        parts.append(_new_lines(order, product, _quantities(rng, product, arrays), True))

    pool = np.flatnonzero(~np.isin(arrays.kind, staple_kinds))
    taste = arrays.popularity[pool] * rng.gamma(household.preference_shape, 1.0, pool.shape[0])
    taste /= taste.sum()
    counts = rng.poisson(household.extra_lines, n)
    order = np.repeat(np.arange(n), counts)
    product = rng.choice(pool, size=order.shape[0], p=taste)
    parts.append(_new_lines(order, product, _quantities(rng, product, arrays), False))

    lines = _Lines.concat(parts)
    # One line per product per order: keep the first (staples come first).
    _, first = np.unique(lines.order * len(CATALOGUE) + lines.product, return_index=True)
    lines = lines.take(np.sort(first))
    empty = np.flatnonzero(np.bincount(lines.order, minlength=n) == 0)
    if empty.size:
        product = rng.choice(pool, size=empty.shape[0], p=taste)
        lines = _Lines.concat(
            [lines, _new_lines(empty, product, _quantities(rng, product, arrays), False)]
        )
    return _assign_statuses(rng, lines, orders, household, arrays)


def _alternatives(rng: np.random.Generator, product: np.ndarray, arrays: _Arrays) -> np.ndarray:
    """Another product of the same kind for each product (itself when the kind has one)."""
    kind = arrays.kind[product]
    count = arrays.kind_count[kind]
    offset = 1 + np.floor(rng.random(product.shape[0]) * np.maximum(count - 1, 1)).astype(np.int64)
    own = arrays.kind_position[product]
    return arrays.kind_members[arrays.kind_start[kind] + (own + offset) % count]


def _assign_statuses(
    rng: np.random.Generator,
    lines: _Lines,
    orders: _Orders,
    household: Household,
    arrays: _Arrays,
) -> _Lines:
    online = orders.fulfillment[lines.order] != _IN_STORE
    u = rng.random(lines.n)
    cut1 = household.p_unavailable
    cut2 = cut1 + household.p_substituted
    cut3 = cut2 + household.p_canceled
    status = np.zeros(lines.n, dtype=np.int8)
    status[online & (u < cut2)] = _UNAVAILABLE
    status[online & (u >= cut2) & (u < cut3)] = _CANCELED
    status[rng.random(lines.n) < household.p_refunded] = _REFUNDED
    alternative = _alternatives(rng, lines.product, arrays)
    substituted = online & (u >= cut1) & (u < cut2) & (alternative != lines.product)
    substituted &= status == _UNAVAILABLE
    lines.status = status
    subs = np.flatnonzero(substituted)
    # A substitute never duplicates a product already in the order (nor another substitute);
    # without one, the line simply stays unavailable.
    width = len(CATALOGUE)
    sub_keys = lines.order[subs] * width + alternative[subs]
    _, first_sub = np.unique(sub_keys, return_index=True)
    keep = np.zeros(subs.shape[0], dtype=bool)
    keep[first_sub] = True
    keep &= ~np.isin(sub_keys, lines.order * width + lines.product)
    subs = subs[keep]
    # Every order keeps at least one charged line.
    charged = np.bincount(lines.order[status == _CHARGED], minlength=orders.n)
    charged += np.bincount(lines.order[subs], minlength=orders.n)
    orders_without = np.flatnonzero(charged == 0)
    if orders_without.size:
        _, first = np.unique(lines.order, return_index=True)
        lines.status[first[orders_without]] = _CHARGED
    weighed = online & arrays.by_weight[lines.product] & (lines.status == _CHARGED)
    lines.weight_adjusted = weighed & (rng.random(lines.n) < household.p_weight_adjusted)
    substitute = _new_lines(
        lines.order[subs],
        alternative[subs],
        _quantities(rng, alternative[subs], arrays),
        False,
    )
    substitute.substitute_for = lines.product[subs].copy()
    return _Lines.concat([lines, substitute])


def _sort_lines(rng: np.random.Generator, lines: _Lines) -> _Lines:
    """Group lines per order and status (the order page's groups), shuffled within a group."""
    shuffle = rng.random(lines.n)
    return lines.take(np.lexsort((shuffle, lines.status, lines.order)))


# ---------------------------------------------------------------------------------------------
# Prices and totals


def _month_number(d: date) -> int:
    return d.year * 12 + d.month - 1


@lru_cache(maxsize=1)
def _bls_filled() -> tuple[int, dict[str, np.ndarray]]:
    """Each BLS item's monthly price over the reference window, unpublished months filled
    from the nearest earlier month (or, at the start, the nearest later one)."""
    prices = load_bls_prices()
    first = _month_number(prices["month"].min())  # type: ignore[arg-type]
    last = _month_number(prices["month"].max())  # type: ignore[arg-type]
    series: dict[str, np.ndarray] = {}
    for item in sorted(BLS_ITEMS):
        rows = prices.filter(pl.col("item") == item)
        values = np.full(last - first + 1, np.nan)
        months = np.array([_month_number(m) for m in rows["month"].to_list()]) - first
        values[months] = rows["price"].to_numpy()
        for i in range(1, values.shape[0]):
            if np.isnan(values[i]):
                values[i] = values[i - 1]
        for i in range(values.shape[0] - 2, -1, -1):
            if np.isnan(values[i]):
                values[i] = values[i + 1]
        series[item] = values
    return first, series


def _price_index(rng: np.random.Generator, m0: int, m1: int) -> np.ndarray:
    """Price multiplier per product and month (months ``m0..m1``), 1.0 in March 2025.

    BLS-covered products follow their series inside the BLS window; every product (and the
    BLS ones outside that window) follows a seeded walk of occasional shelf-price changes.
    """
    bls_first, series = _bls_filled()
    bls_last = bls_first + next(iter(series.values())).shape[0] - 1
    reference = _month_number(_PRICE_REFERENCE_MONTH)
    lo, hi = min(m0, bls_first, reference), max(m1, bls_last, reference)
    width = hi - lo + 1
    n_products = len(CATALOGUE)
    changes = rng.random((n_products, width)) < 0.15
    steps = np.clip(rng.normal(0.01, 0.035, (n_products, width)), -0.12, 0.15)
    walk = np.cumprod(1.0 + np.where(changes, steps, 0.0), axis=1)
    walk /= walk[:, [reference - lo]]
    months = np.arange(m0, m1 + 1)
    index = walk[:, months - lo]
    edge = np.clip(months, bls_first, bls_last)
    for p, product in enumerate(CATALOGUE):
        if product.bls_item is None:
            continue
        values = series[product.bls_item]
        ratio = values[edge - bls_first] / values[reference - bls_first]
        # Outside the BLS window, carry on from its edge with the product's own walk.
        index[p] = ratio * walk[p, months - lo] / walk[p, edge - lo]
    return index


@dataclass
class _Priced:
    unit: np.ndarray
    line_total: np.ndarray
    original: np.ndarray  # -1 when not on rollback
    savings: np.ndarray  # -1 when not on rollback
    subtotal: np.ndarray
    savings_total: np.ndarray
    tax: np.ndarray
    fees: np.ndarray
    tip: np.ndarray
    grand_total: np.ndarray


def _order_months(orders: _Orders) -> np.ndarray:
    days = np.datetime64(orders.start, "D") + orders.day.astype("timedelta64[D]")
    months = days.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return months + 1970 * 12


def _price(
    rng: np.random.Generator,
    orders: _Orders,
    lines: _Lines,
    household: Household,
    arrays: _Arrays,
) -> _Priced:
    month = _order_months(orders)
    m0, m1 = int(month.min()), int(month.max())
    index = _price_index(rng, m0, m1)
    width = m1 - m0 + 1
    rollback = rng.random((len(CATALOGUE), width)) < household.p_rollback
    rollback_factor = rng.uniform(0.80, 0.94, (len(CATALOGUE), width))

    p, lm = lines.product, month[lines.order] - m0
    store_factor = np.array([s.price_factor for s in STORES])[orders.store[lines.order]]
    shelf = arrays.price[p] * index[p, lm] * store_factor
    original = np.maximum(1, np.rint(shelf)).astype(np.int64)
    on_rollback = rollback[p, lm]
    unit = np.where(
        on_rollback, np.maximum(1, np.rint(shelf * rollback_factor[p, lm])), original
    ).astype(np.int64)
    quantity = lines.quantity
    line_total = np.rint(unit * quantity).astype(np.int64)
    regular_total = np.rint(original * quantity).astype(np.int64)
    savings = np.where(on_rollback, regular_total - line_total, -1)

    n = orders.n
    charged = lines.status == _CHARGED
    order = lines.order[charged]
    subtotal = np.bincount(order, weights=line_total[charged], minlength=n).astype(np.int64)
    savings_total = np.bincount(order, weights=np.maximum(savings[charged], 0), minlength=n).astype(
        np.int64
    )
    general_mask = charged & arrays.general[p]
    general = np.bincount(
        lines.order[general_mask], weights=line_total[general_mask], minlength=n
    ).astype(np.int64)
    food = subtotal - general
    tax_rate = np.array([s.tax_rate for s in STORES])[orders.store]
    food_rate = np.array([s.food_tax_rate for s in STORES])[orders.store]
    tax = np.rint(food * food_rate + general * tax_rate).astype(np.int64)
    delivery = orders.fulfillment == _DELIVERY
    fees = np.where(delivery & (subtotal < _FREE_DELIVERY_CENTS), _DELIVERY_FEE_CENTS, 0)
    tips = rng.choice(np.array([300, 400, 500, 600, 800]), size=n, p=[0.2, 0.3, 0.3, 0.1, 0.1])
    tip = np.where(delivery & (rng.random(n) < household.p_tip), tips, 0)
    return _Priced(
        unit=unit,
        line_total=line_total,
        original=np.where(on_rollback, original, -1),
        savings=savings,
        subtotal=subtotal,
        savings_total=savings_total,
        tax=tax,
        fees=fees.astype(np.int64),
        tip=tip.astype(np.int64),
        grand_total=subtotal + tax + fees,
    )


_DELIVERY_FEE_CENTS = 995
_FREE_DELIVERY_CENTS = 3500


# ---------------------------------------------------------------------------------------------
# The whole dataset


@dataclass
class _Dataset:
    orders: _Orders
    lines: _Lines
    priced: _Priced
    order_ids: list[str]
    display_ids: list[str]
    order_dates: list[str]
    #: Offset of each order's first line; the lines of order i are bounds[i]:bounds[i + 1].
    bounds: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))


def _order_ids(rng: np.random.Generator, orders: _Orders, seed: int) -> tuple[list[str], list[str]]:
    # Increasing like real order numbers; online ids 15 digits, in-store ids 20 digits.
    sequence = np.cumsum(rng.integers(1, 4000, orders.n)).tolist()
    prefix = seed % 90
    ids, display = [], []
    for number, fulfillment in zip(sequence, orders.fulfillment.tolist(), strict=True):
        if fulfillment == _IN_STORE:
            order_id = f"77{seed % 100:02d}{number:016d}"
            ids.append(order_id)
            display.append(order_id)
        else:
            order_id = str(200_000_000_000_000 + prefix * 10**12 + number)
            ids.append(order_id)
            display.append(f"{order_id[:7]}-{order_id[7:]}")
    return ids, display


def _order_dates(orders: _Orders) -> list[str]:
    days = np.datetime64(orders.start, "D") + orders.day.astype("timedelta64[D]")
    local = days.astype("datetime64[m]") + orders.minute.astype("timedelta64[m]")
    wall = np.datetime_as_string(local.astype("datetime64[s]"), unit="s").tolist()
    offsets: dict[int, str] = {}
    for day in np.unique(orders.day).tolist():
        d = orders.start + timedelta(days=day)
        # Orders are placed 7:00-22:00, after any 2:00 DST switch, so noon's offset holds.
        offset = datetime(d.year, d.month, d.day, 12, tzinfo=_TZ).utcoffset()
        assert offset is not None
        minutes = int(offset.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        offsets[day] = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return [w + offsets[d] for w, d in zip(wall, orders.day.tolist(), strict=True)]


def _default_window(orders: int, start: date | None, end: date | None) -> tuple[date, date]:
    end = end or (
        DEFAULT_END if start is None else max(DEFAULT_END, start + timedelta(days=7 * orders))
    )
    if start is None:
        # Weekly-ish orders back from the end, but never before the BLS window opens.
        # (Capped before subtracting: 7 days x 100,000+ orders is past year 1.)
        weeks_back = min(7 * orders, (end - _DEFAULT_EARLIEST).days)
        start = max(_DEFAULT_EARLIEST, end - timedelta(days=weeks_back))
        start = min(start, end)
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    return start, end


def _generate(
    orders: int,
    seed: int,
    start: date | None,
    end: date | None,
    household: Household,
    fit: Callable[[np.random.Generator, _Orders, _Lines, _Arrays], _Lines] | None = None,
) -> _Dataset:
    if orders < 1:
        raise ValueError("orders must be at least 1")
    start, end = _default_window(orders, start, end)
    rng = np.random.default_rng(seed)
    arrays = _arrays()
    plan = _plan_orders(rng, orders, start, end, household)
    lines = _plan_lines(rng, plan, household, arrays)
    if fit is not None:
        lines = fit(rng, plan, lines, arrays)
    lines = _sort_lines(rng, lines)
    priced = _price(rng, plan, lines, household, arrays)
    ids, display = _order_ids(rng, plan, seed)
    bounds = np.searchsorted(lines.order, np.arange(orders + 1), side="left")
    return _Dataset(plan, lines, priced, ids, display, _order_dates(plan), bounds)


# ---------------------------------------------------------------------------------------------
# Canonical records


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _display(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


@lru_cache(maxsize=65536)
def _unit_pricing(product: int, unit_cents: int) -> str | None:
    item = CATALOGUE[product]
    if item.sold_by_weight:
        return f"${_money(unit_cents)}/lb"
    if item.size_value is None or item.size_unit in (None, "each"):
        return None
    per = unit_cents / item.size_value
    if per < 100:
        return f"{per:.1f}¢/{item.size_unit}"
    return f"${per / 100:.2f}/{item.size_unit}"


def _store_record(store: GeneratorStore) -> dict[str, Any]:
    return {
        "walmart_store_id": store.walmart_store_id,
        "name": store.name,
        "address": store.address,
        "city": store.city,
        "state": store.state,
        "zip": store.zip,
    }


def _records(data: _Dataset, lo: int, hi: int) -> Iterator[dict[str, Any]]:
    """Canonical order objects for orders ``lo..hi-1``."""
    a, b = int(data.bounds[lo]), int(data.bounds[hi])
    lines, priced = data.lines, data.priced
    product = lines.product[a:b].tolist()
    quantity = lines.quantity[a:b].tolist()
    status = lines.status[a:b].tolist()
    substitute_for = lines.substitute_for[a:b].tolist()
    weight_adjusted = lines.weight_adjusted[a:b].tolist()
    unit = priced.unit[a:b].tolist()
    line_total = priced.line_total[a:b].tolist()
    original = priced.original[a:b].tolist()
    savings = priced.savings[a:b].tolist()
    stores = [_store_record(s) for s in STORES]
    bounds = data.bounds[lo : hi + 1].tolist()
    store_of = data.orders.store[lo:hi].tolist()
    fulfillment = data.orders.fulfillment[lo:hi].tolist()
    o = data.priced
    subtotal, save, tax = (
        o.subtotal[lo:hi].tolist(),
        o.savings_total[lo:hi].tolist(),
        o.tax[lo:hi].tolist(),
    )
    fees, tip, grand = o.fees[lo:hi].tolist(), o.tip[lo:hi].tolist(), o.grand_total[lo:hi].tolist()
    for k in range(hi - lo):
        i = lo + k
        records = []
        for j in range(bounds[k] - a, bounds[k + 1] - a):
            item = CATALOGUE[product[j]]
            sub = substitute_for[j]
            records.append(
                {
                    "name": item.name,
                    "us_item_id": item.us_item_id,
                    "quantity": quantity[j] if item.sold_by_weight else int(quantity[j]),
                    "unit_price": _money(unit[j]),
                    "line_total": _money(line_total[j]),
                    "original_price": None if original[j] < 0 else _money(original[j]),
                    "savings": None if savings[j] < 0 else _money(savings[j]),
                    "status": _STATUS_NAMES[status[j]],
                    "substitute_for_us_item_id": None if sub < 0 else CATALOGUE[sub].us_item_id,
                    "weight_adjusted": weight_adjusted[j],
                    "unit_pricing": _unit_pricing(product[j], unit[j]),
                }
            )
        kind = fulfillment[k]
        yield {
            "order_id": data.order_ids[i],
            "display_id": data.display_ids[i],
            "order_date": data.order_dates[i],
            "order_type": "IN_STORE" if kind == _IN_STORE else "GLASS",
            "fulfillment_type": _FULFILLMENT[kind],
            "status": _FULFILLED_TEXT[kind],
            "store": stores[store_of[k]],
            "subtotal": _money(subtotal[k]),
            "savings": _money(save[k]),
            "tax": _money(tax[k]),
            "fees": _money(fees[k]),
            "tip": _money(tip[k]),
            "grand_total": _money(grand[k]),
            "lines": records,
        }


# ---------------------------------------------------------------------------------------------
# Walmart order-page documents


_BY_US_ITEM_ID = {p.us_item_id: p for p in CATALOGUE}
_SLUG = re.compile(r"[^A-Za-z0-9]+")


def _cents(money: str) -> int:
    whole, _, frac = money.partition(".")
    return int(whole) * 100 + int(frac)


def _page_store(store: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": store["walmart_store_id"],
        "displayName": store["name"],
        "address": {
            "addressLineOne": store["address"],
            "city": store["city"],
            "state": store["state"],
            "postalCode": store["zip"],
        },
    }


def _page_item(line: dict[str, Any]) -> dict[str, Any]:
    product = _BY_US_ITEM_ID[line["us_item_id"]]
    slug = _SLUG.sub("-", product.name).strip("-")
    price_info: dict[str, Any] = {
        "linePrice": {"displayValue": _display(_cents(line["line_total"]))},
        "unitPrice": {"displayValue": _display(_cents(line["unit_price"]))},
        "itemPrice": {"displayValue": _display(_cents(line["line_total"]))},
    }
    if line["original_price"] is not None:
        price_info["wasPrice"] = {"displayValue": _display(_cents(line["original_price"]))}
        price_info["savings"] = {"displayValue": _display(_cents(line["savings"]))}
    if line["unit_pricing"] is not None:
        price_info["unitPricing"] = {"displayValue": line["unit_pricing"]}
    if line["weight_adjusted"]:
        price_info["weightAdjusted"] = True
    item: dict[str, Any] = {
        "productInfo": {
            "name": product.name,
            "usItemId": product.us_item_id,
            "offerId": hashlib.blake2b(product.us_item_id.encode(), digest_size=8)
            .hexdigest()
            .upper(),
            "canonicalUrl": f"/ip/{slug}/{product.us_item_id}",
            "salesUnitType": "WEIGHT" if product.sold_by_weight else "EACH",
        },
        "quantity": line["quantity"],
        "priceInfo": price_info,
    }
    if line["substitute_for_us_item_id"] is not None:
        original = _BY_US_ITEM_ID[line["substitute_for_us_item_id"]]
        item["substitution"] = {
            "originalItem": {"name": original.name, "usItemId": original.us_item_id}
        }
    return item


def _order_page(record: dict[str, Any]) -> dict[str, Any]:
    """The ``__NEXT_DATA__`` document of one order, from its canonical record."""
    when = datetime.fromisoformat(record["order_date"])
    online = record["order_type"] == "GLASS"
    store = _page_store(record["store"])
    groups: list[dict[str, Any]] = []
    by_status: dict[str, list[dict[str, Any]]] = {}
    for line in record["lines"]:
        by_status.setdefault(line["status"], []).append(line)
    for code, name in enumerate(_STATUS_NAMES):
        if name not in by_status:
            continue
        text = record["status"] if code == _CHARGED else _GROUP_TEXT[code]
        group: dict[str, Any] = {
            "fulfillmentType": record["fulfillment_type"],
            "status": {"message": {"parts": [{"text": text}]}},
        }
        if code == _CHARGED and online:
            # Late orders are picked up or delivered the next day.
            delivered = when.date() + timedelta(days=1 if when.hour >= 18 else 0)
            group["deliveredDate"] = delivered.isoformat()
        group["store"] = store
        group["items"] = [_page_item(line) for line in by_status[name]]
        groups.append(group)
    fees: list[dict[str, Any]] = []
    if record["fulfillment_type"] == "DELIVERY":
        fee = _cents(record["fees"])
        fees.append({"label": "Delivery fee", "displayValue": _display(fee)})
        if fee == 0:
            fees[0]["strikeThroughValue"] = _display(_DELIVERY_FEE_CENTS)
    subtotal, savings = _cents(record["subtotal"]), _cents(record["savings"])
    grand, tip = _cents(record["grand_total"]), _cents(record["tip"])
    refund = sum(_cents(x["line_total"]) for x in by_status.get("refunded", []))
    order = {
        "id": record["order_id"],
        "displayId": record["display_id"],
        "orderDate": when.isoformat(timespec="milliseconds"),
        "title": f"{when:%B %d, %Y} order",
        "shortTitle": f"{when:%b %d} order",
        "itemCount": len(record["lines"]),
        "type": record["order_type"],
        "isInStore": not online,
        "priceDetails": {
            "subTotal": {"displayValue": _display(subtotal)},
            "strikethroughSubTotal": {"displayValue": _display(subtotal + savings)},
            "savings": {"displayValue": _display(savings)},
            "taxTotal": {"displayValue": _display(_cents(record["tax"]))},
            "driverTip": {"displayValue": _display(tip)},
            "grandTotal": {"displayValue": _display(grand)},
            "grandTotalWithTips": {"displayValue": _display(grand + tip)},
            "refund": {"displayValue": _display(refund)},
            "fees": fees,
        },
        "groups_2101": groups,
    }
    return {"props": {"pageProps": {"initialData": {"data": {"order": order}}}}}


# ---------------------------------------------------------------------------------------------
# The bundled sample: exact counts


@dataclass(slots=True)
class _Rec:
    order: int
    product: int
    quantity: float
    status: int
    substitute_for: int
    weight_adjusted: bool
    staple: bool
    original: bool = False  # the unavailable line a substitute replaced


def _to_records(lines: _Lines) -> list[_Rec]:
    recs = [
        _Rec(o, p, q, s, f, w, st)
        for o, p, q, s, f, w, st in zip(
            lines.order.tolist(),
            lines.product.tolist(),
            lines.quantity.tolist(),
            lines.status.tolist(),
            lines.substitute_for.tolist(),
            lines.weight_adjusted.tolist(),
            lines.staple.tolist(),
            strict=True,
        )
    ]
    replaced = {(r.order, r.substitute_for) for r in recs if r.substitute_for >= 0}
    for r in recs:
        r.original = r.status == _UNAVAILABLE and (r.order, r.product) in replaced
    return recs


def _from_records(recs: list[_Rec]) -> _Lines:
    return _Lines(
        np.array([r.order for r in recs], dtype=np.int64),
        np.array([r.product for r in recs], dtype=np.int64),
        np.array([r.quantity for r in recs], dtype=np.float64),
        np.array([r.status for r in recs], dtype=np.int8),
        np.array([r.substitute_for for r in recs], dtype=np.int64),
        np.array([r.weight_adjusted for r in recs], dtype=bool),
        np.array([r.staple for r in recs], dtype=bool),
    )


class _SampleFitter:
    """Edits a planned sample, deterministically, until it has exactly the promised counts."""

    def __init__(
        self, rng: np.random.Generator, orders: _Orders, lines: _Lines, arrays: _Arrays
    ) -> None:
        self.rng, self.orders, self.arrays = rng, orders, arrays
        self.recs = _to_records(lines)
        staple_kinds = {arrays.kind_names.index(k) for k in SAMPLE_HOUSEHOLD.staple_cycles}
        self.pool = [p for p in range(len(CATALOGUE)) if int(arrays.kind[p]) not in staple_kinds]

    # helpers
    def _online(self, order: int) -> bool:
        return int(self.orders.fulfillment[order]) != _IN_STORE

    def _plain(self, r: _Rec) -> bool:
        return (
            r.status == _CHARGED and r.substitute_for < 0 and not r.staple and not r.weight_adjusted
        )

    def _charged_in(self, order: int) -> int:
        return sum(1 for r in self.recs if r.order == order and r.status == _CHARGED)

    def _in_order(self, order: int) -> set[int]:
        return {r.product for r in self.recs if r.order == order}

    def _choose(self, items: list[Any]) -> Any:
        if not items:
            raise RuntimeError("sample fitting ran out of candidates")
        return items[int(self.rng.integers(len(items)))]

    def _quantity(self, product: int) -> float:
        return float(_quantities(self.rng, np.array([product]), self.arrays)[0])

    def _new_product(self, order: int, unused_only: bool) -> int:
        used = {r.product for r in self.recs}
        present = self._in_order(order)
        choices = [p for p in self.pool if p not in present and (p not in used or not unused_only)]
        weights = self.arrays.popularity[choices]
        return _pick(self.rng, np.array(choices), weights)

    def fit(self) -> _Lines:
        self._stores()
        self._staples()
        self._statuses()
        self._line_count(SAMPLE_COUNTS["lines"])
        self._distinct(SAMPLE_COUNTS["products"])
        self._check()
        return _from_records(self.recs)

    def _stores(self) -> None:
        store = self.orders.store
        for missing in range(len(STORES)):
            counts = np.bincount(store, minlength=len(STORES))
            if counts[missing]:
                continue
            donor = int(np.argmax(counts))
            store[int(np.flatnonzero(store == donor)[-1])] = missing

    def _staples(self) -> None:
        for kind_name, minimum in _SAMPLE_STAPLE_MINIMUM.items():
            kind = self.arrays.kind_names.index(kind_name)
            mine = [r for r in self.recs if int(self.arrays.kind[r.product]) == kind]
            product = Counter(r.product for r in mine).most_common(1)[0][0]
            have = {r.order for r in mine}
            # Bought = charged: price histories need prices actually paid.
            while (
                sum(
                    r.status == _CHARGED and int(self.arrays.kind[r.product]) == kind
                    for r in self.recs
                )
                < minimum
            ):
                order = self._choose([o for o in range(self.orders.n) if o not in have])
                have.add(order)
                self.recs.append(
                    _Rec(order, product, self._quantity(product), _CHARGED, -1, False, True)
                )

    def _candidates(self, online: bool = True) -> list[_Rec]:
        return [
            r
            for r in self.recs
            if self._plain(r)
            and (self._online(r.order) or not online)
            and self._charged_in(r.order) >= 4
        ]

    def _statuses(self) -> None:
        arrays = self.arrays
        while sum(r.substitute_for >= 0 for r in self.recs) < 3:
            rec = self._choose(
                [r for r in self._candidates() if arrays.kind_count[arrays.kind[r.product]] > 1]
            )
            kind = int(arrays.kind[rec.product])
            start, count = int(arrays.kind_start[kind]), int(arrays.kind_count[kind])
            present = self._in_order(rec.order)
            members = [int(m) for m in arrays.kind_members[start : start + count]]
            alternatives = [m for m in members if m not in present] or [
                m for m in members if m != rec.product
            ]
            alt = self._choose(alternatives)
            rec.status, rec.original = _UNAVAILABLE, True
            self.recs.append(
                _Rec(rec.order, alt, self._quantity(alt), _CHARGED, rec.product, False, False)
            )
        for status, minimum, online in (
            (_UNAVAILABLE, 3, True),
            (_CANCELED, 2, True),
            (_REFUNDED, 2, False),
        ):
            while sum(r.status == status and not r.original for r in self.recs) < minimum:
                self._choose(self._candidates(online)).status = status
        while sum(r.weight_adjusted for r in self.recs) < 3:
            weighed = [
                r
                for r in self.recs
                if r.status == _CHARGED
                and self._online(r.order)
                and arrays.by_weight[r.product]
                and not r.weight_adjusted
            ]
            if weighed:
                self._choose(weighed).weight_adjusted = True
                continue
            rec = self._choose(self._candidates())
            present = self._in_order(rec.order)
            rec.product = self._choose(
                [p for p in self.pool if arrays.by_weight[p] and p not in present]
            )
            rec.quantity, rec.weight_adjusted = self._quantity(rec.product), True

    def _line_count(self, target: int) -> None:
        while len(self.recs) > target:
            sizes = Counter(r.order for r in self.recs)
            removable = [r for r in self.recs if self._plain(r) and self._charged_in(r.order) > 2]
            biggest = max(sizes[r.order] for r in removable)
            self.recs.remove(self._choose([r for r in removable if sizes[r.order] == biggest]))
        while len(self.recs) < target:
            sizes = Counter({o: 0 for o in range(self.orders.n)})
            sizes.update(r.order for r in self.recs)
            smallest = min(sizes.values())
            order = self._choose([o for o, n in sorted(sizes.items()) if n == smallest])
            product = self._new_product(order, unused_only=False)
            self.recs.append(
                _Rec(order, product, self._quantity(product), _CHARGED, -1, False, False)
            )

    def _distinct(self, target: int) -> None:
        while True:
            uses = Counter(r.product for r in self.recs)
            if len(uses) == target:
                return
            involved = {r.product for r in self.recs if r.original or r.substitute_for >= 0}
            if len(uses) < target:
                # Turn a repeat purchase into a product not bought yet.
                rec = self._choose([r for r in self.recs if self._plain(r) and uses[r.product] > 1])
                rec.product = self._new_product(rec.order, unused_only=True)
            else:
                # Turn a one-off purchase into a repeat of something bought on another day.
                rec = self._choose(
                    [
                        r
                        for r in self.recs
                        if self._plain(r) and uses[r.product] == 1 and r.product not in involved
                    ]
                )
                present = self._in_order(rec.order)
                again = [
                    p
                    for p in sorted(uses)
                    if p in set(self.pool)
                    and p not in present
                    and p not in involved
                    and p != rec.product
                ]
                rec.product = self._choose(again)
            rec.quantity = self._quantity(rec.product)

    def _check(self) -> None:
        products = {r.product for r in self.recs}
        statuses = {r.status for r in self.recs}
        if (
            len(self.recs) != SAMPLE_COUNTS["lines"]
            or len(products) != SAMPLE_COUNTS["products"]
            or len(set(self.orders.store.tolist())) != SAMPLE_COUNTS["stores"]
            or statuses != {_CHARGED, _UNAVAILABLE, _CANCELED, _REFUNDED}
        ):
            raise RuntimeError("sample fitting did not reach the promised counts")
        for order in range(self.orders.n):
            if self._charged_in(order) == 0:
                raise RuntimeError(f"sample order {order} has no charged line")


def _fit_sample(
    rng: np.random.Generator, orders: _Orders, lines: _Lines, arrays: _Arrays
) -> _Lines:
    return _SampleFitter(rng, orders, lines, arrays).fit()


# ---------------------------------------------------------------------------------------------
# Writing


def _dumps(obj: Any) -> bytes:
    if _orjson is not None:
        return bytes(_orjson.dumps(obj))
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _dumps_pretty(obj: Any) -> bytes:
    if _orjson is not None:
        return bytes(_orjson.dumps(obj, option=_orjson.OPT_INDENT_2)) + b"\n"
    return (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


_CHUNK = 2000


def _chunks(n: int, progress: bool, label: str) -> Iterator[tuple[int, int]]:
    ranges = [(lo, min(n, lo + _CHUNK)) for lo in range(0, n, _CHUNK)]
    if not progress:
        yield from ranges
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=n)
        for lo, hi in ranges:
            yield lo, hi
            bar.update(task, advance=hi - lo)


def _write(data: _Dataset, path: Path, fmt: str, progress: bool) -> GenerateResult:
    n = data.orders.n
    if fmt == "canonical":
        if path.is_dir():
            path = path / "orders.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            out.write(json.dumps(CANONICAL_HEADER).encode("utf-8") + b"\n")
            for lo, hi in _chunks(n, progress, "writing orders"):
                out.write(b"".join(_dumps(r) + b"\n" for r in _records(data, lo, hi)))
    else:
        path.mkdir(parents=True, exist_ok=True)
        for lo, hi in _chunks(n, progress, "writing order pages"):
            for record in _records(data, lo, hi):
                page = _dumps_pretty(_order_page(record))
                (path / f"order-{record['order_id']}.json").write_bytes(page)
    return GenerateResult(path=path, orders=n, lines=data.lines.n)


def write_dataset(
    path: Path,
    orders: int,
    seed: int = 0,
    fmt: str = "canonical",
    progress: bool = False,
    *,
    start: date | None = None,
    end: date | None = None,
) -> GenerateResult:
    """Write a synthetic household history of ``orders`` orders.

    ``fmt="canonical"`` writes one JSON Lines file at ``path`` (``orders.jsonl`` inside it when
    ``path`` is a folder); ``fmt="walmart-json"`` writes a folder of ``order-<id>.json`` order
    pages. Dates run from ``start`` to ``end`` (default: weekly-ish back from 2025-08-31, no
    earlier than 2022-01-01). The same arguments always give the same bytes.
    """
    if fmt not in _FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(_FORMATS)}")
    data = _generate(orders, seed, start, end, DEFAULT_HOUSEHOLD)
    return _write(data, Path(path), fmt, progress)


def generate_orders(
    orders: int,
    seed: int = 0,
    *,
    start: date | None = None,
    end: date | None = None,
) -> list[dict[str, Any]]:
    """The canonical order objects :func:`write_dataset` would write (for small histories)."""
    data = _generate(orders, seed, start, end, DEFAULT_HOUSEHOLD)
    return list(_records(data, 0, data.orders.n))


def build_sample(out_dir: Path = SAMPLE_DIR) -> GenerateResult:
    """(Re)write the bundled sample: 25 order pages, 161 products, 229 lines, 6 stores.

    Regenerate with ``python -m walmart_lib.ingest.generate --sample``. Old ``order-*.json``
    files in ``out_dir`` are removed first so the folder holds exactly this sample.
    """
    data = _generate(
        SAMPLE_COUNTS["orders"],
        _SAMPLE_SEED,
        _SAMPLE_START,
        _SAMPLE_END,
        SAMPLE_HOUSEHOLD,
        fit=_fit_sample,
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("order-*.json"):
        old.unlink()
    return _write(data, out_dir, "walmart-json", progress=False)


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Rebuild the bundled sample dataset.")
    parser.add_argument("--sample", action="store_true", required=True)
    parser.add_argument("--out", default=str(SAMPLE_DIR), metavar="DIR")
    args = parser.parse_args(argv)
    result = build_sample(Path(args.out))
    print(f"wrote {result.orders} orders, {result.lines} lines to {result.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
