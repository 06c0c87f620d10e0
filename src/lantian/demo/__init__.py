"""The bundled demo dataset: real CNEMC hourly data of Hunan's 81 national stations in 2019."""
