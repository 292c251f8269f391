-- The spec seeds the test gateway with 2.00 + 2.5 % (usage guide, "Create payment gateway");
-- the init migration had copied Stripe's 0.30 + 2.90 %. Only the seeded values are replaced: a
-- fee an operator has set since is left alone.
UPDATE "gateways" SET "fixed_fee" = 2.00, "percentage_fee" = 2.50
  WHERE "name" = 'test_gateway' AND "fixed_fee" = 0.30 AND "percentage_fee" = 2.90;
