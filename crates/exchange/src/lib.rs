//! The land-use-right exchange (国有建设用地使用权网上交易).
