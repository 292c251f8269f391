-- One database per service (each service owns its own schema and migrations).
CREATE DATABASE inventory;
CREATE DATABASE cart;
CREATE DATABASE "order";
CREATE DATABASE payment;
