package store

import (
	"context"
	"database/sql"

	"throughcare/internal/directory"
	"throughcare/internal/listing"
)

// LoadListing exposes loadListing to the package's external tests.
func LoadListing(ctx context.Context, d *DB, draft listing.Draft) (*directory.Dataset, error) {
	var ds *directory.Dataset
	err := d.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		ds, err = loadListing(ctx, tx, draft)
		return err
	})
	return ds, err
}

// StoredTOTPSecret returns the totp_secret column of userID as stored.
func StoredTOTPSecret(ctx context.Context, d *DB, userID string) (string, error) {
	var s string
	err := d.db.QueryRowContext(ctx, `SELECT totp_secret FROM credential WHERE user_id = $1`, userID).Scan(&s)
	return s, err
}
