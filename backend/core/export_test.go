package core

import "grantbook/backend/store"

// StoreForTest lets this package's tests look at the rows behind the API.
func (a *App) StoreForTest() *store.Store { return a.store }
